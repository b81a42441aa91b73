// The README's examples, type-checked with the package so they cannot rot.
// Run one: `node --experimental-strip-types examples/bridge.examples.ts -- npx some-mcp-server`
// (or build first and import from "@mcp-proxy/core").
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { bridge, ChildProcessTransport } from "../src/index.js";

/** A stdio pass-through: our stdin/stdout on one side, a spawned MCP server on the other. */
export async function passThrough(command: string, args: string[]): Promise<void> {
  const upstream = new ChildProcessTransport({
    command,
    args,
    stderr: "inherit",
    onNoise: (line) => process.stderr.write(`[upstream stdout] ${line}\n`),
  });
  const handle = await bridge(new StdioServerTransport(), upstream, {
    onError: (error, side) => process.stderr.write(`[${side}] ${error.message}\n`),
  });
  const info = await handle.closed;
  process.exitCode = upstream.exitInfo?.code ?? (info.error ? 1 : 0);
}

const dashDash = process.argv.indexOf("--");
if (dashDash !== -1 && process.argv[dashDash + 1]) {
  const [command, ...args] = process.argv.slice(dashDash + 1) as [string, ...string[]];
  await passThrough(command, args);
}
