// Reference README, "proxyServer".
import { proxyServer } from "@mcp-proxy/core";
import { InMemoryTransport } from "@modelcontextprotocol/server";
import { Client, report, Server, StdioClientTransport } from "./prelude.js";

// --- reference README, verbatim ---
const transport = new StdioClientTransport();
const client = new Client();

await client.connect(transport);

const serverCapabilities = client.getServerCapabilities();

const server = new Server(client.getServerVersion(), {
  capabilities: serverCapabilities,
});

await proxyServer({
  client,
  server,
  serverCapabilities,
});
// --- end ---

// The example leaves `server` unconnected: connect a client to it and call through.
const [a, b] = InMemoryTransport.createLinkedPair();
await server.connect(a);
const downstream = new Client();
await downstream.connect(b);
const result = await downstream.callTool({ name: "echo", arguments: { text: "through" } });
report({ done: (result.content as Array<{ text?: string }>)[0]?.text });
await downstream.close();
await client.close();
process.exit(0);
