// How a 2025-era client reaches a 2026-07-28 stdio server (type-checked, not
// exported): wrap the modern child in LegacyClientAdapter and bridge the
// client's transport to it as to any 2025 server. Here the client is this
// process's own stdio; http-server does the same per session.
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { type BridgeHandle, bridge } from "../bridge.js";
import { ChildProcessTransport } from "../child-process.js";
import { LegacyClientAdapter } from "./legacy-client-adapter.js";

export function serveModernChildOnStdio(): Promise<BridgeHandle> {
  const child = new ChildProcessTransport({ command: "npx", args: ["some-modern-mcp-server"] });
  // "auto": probe with server/discover on the client's initialize; relay a 2025-era child as is.
  const adapter = new LegacyClientAdapter(child, { protocol: "auto" });
  return bridge(new StdioServerTransport(), adapter);
}
