// The README's examples, type-checked with the package so they cannot rot.
// In your own project, import from "@mcp-proxy/core" and call
// passThrough("npx", ["-y", "some-mcp-server"]).
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
