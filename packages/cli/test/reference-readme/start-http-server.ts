// Reference README, "startHTTPServer".
import { startHTTPServer } from "@mcp-proxy/http-server";
import { Server } from "@modelcontextprotocol/server";
import { report } from "./prelude.js";

// --- reference README, verbatim ---
const { close, notify } = await startHTTPServer({
  createServer: async () => {
    return new Server();
  },
  port: 8080,
  stateless: false, // Optional: enable stateless mode for streamable HTTP transport
});

close();
// --- end ---

report({ done: typeof notify.toolsChanged });
process.exit(0);
