// Every published package can be loaded with require() from CommonJS (Node >= 20.19 loads ESM
// that way), not only with import: `exports` carries a `default` condition beside `import`.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const PACKAGES = [
  "@mcp-proxy/core",
  "@mcp-proxy/core/internal",
  "@mcp-proxy/http-server",
  "@mcp-proxy/stdio-client",
  "@mcp-proxy/tap",
  "@mcp-proxy/cli",
];

it("requires each built package from a CommonJS script", async () => {
  // `node -e` runs CommonJS; resolving from this package finds its workspace dependencies.
  const script = `const out = {}; for (const name of ${JSON.stringify(PACKAGES)}) out[name] = Object.keys(require(name)).length; process.stdout.write(JSON.stringify(out));`;
  const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
  });
  const counts = JSON.parse(stdout) as Record<string, number>;
  for (const name of PACKAGES) expect(counts[name], name).toBeGreaterThan(0);
});
