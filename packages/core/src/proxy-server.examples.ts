// The README's proxyServer example (type-checked, not exported). In your own
// project import from "@mcp-proxy/core"; `Server` and `Client` may as well come
// from `@modelcontextprotocol/server` and `@modelcontextprotocol/client` (v2).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { ChildProcessTransport } from "./child-process.js";
import { proxyServer } from "./proxy-server.js";

/** Serves on this process's stdio whatever the server run by `command` serves. */
export async function proxyOverStdio(command: string, args: string[]): Promise<void> {
  const client = new Client({ name: "my-proxy", version: "1.0.0" });
  await client.connect(new ChildProcessTransport({ command, args }));

  const serverCapabilities = client.getServerCapabilities() ?? {};
  const server = new Server(client.getServerVersion() ?? { name: "proxy", version: "1.0.0" }, {
    capabilities: serverCapabilities,
  });
  await proxyServer({ server, client, serverCapabilities });
  await server.connect(new StdioServerTransport());
}
