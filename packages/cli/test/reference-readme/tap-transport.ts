// Reference README, "tapTransport".
import { tapTransport } from "@mcp-proxy/tap";
import { Client, report, StdioClientTransport } from "./prelude.js";

// --- reference README, verbatim ---
const transport = tapTransport(new StdioClientTransport(), (event) => {
  console.log(event);
});
// --- end ---

const client = new Client();
await client.connect(transport);
await client.listTools();
report({ done: "tapped" });
await client.close();
process.exit(0);
