// The runner fixture imports the built package: build it once per test run so
// the child processes exercise the current source.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  execFileSync("npx", ["tsup", "--silent"], { cwd, stdio: ["ignore", "ignore", "inherit"] });
}
