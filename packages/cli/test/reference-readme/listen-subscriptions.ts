// Reference README, "Change notifications": onListenSubscriptions.
import { acquireListenSubscriptions } from "@mcp-proxy/core";
import { startHTTPServer } from "@mcp-proxy/http-server";
import { client, createServer, onCommand, report } from "./prelude.js";

// --- reference README, verbatim ---
await startHTTPServer({
  createServer,
  onListenSubscriptions: (uris) => acquireListenSubscriptions({ client, uris }),
  port: 8080,
});
// --- end ---

onCommand(() => client.callTool({ name: "notify", arguments: {} }));
report({ ready: "http://127.0.0.1:8080" });
