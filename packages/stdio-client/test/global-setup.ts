// The runner fixture imports the built package: build it once per test run so
// the child processes exercise the current source. tsup runs with this node
// directly (not through npx, whose config warnings would clutter the run).
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  const tsup = join(
    dirname(createRequire(import.meta.url).resolve("tsup/package.json")),
    "dist/cli-default.js",
  );
  execFileSync(process.execPath, [tsup, "--silent"], {
    cwd,
    stdio: ["ignore", "ignore", "inherit"],
  });
}
