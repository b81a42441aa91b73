// Reference README, "Change notifications": wiring upstream changes to `notify`.
import { getUpstreamBridge } from "@mcp-proxy/core";
import { startHTTPServer } from "@mcp-proxy/http-server";
import { client, createServer, onCommand, report } from "./prelude.js";

// --- reference README, verbatim ---
const { notify } = await startHTTPServer({ createServer, port: 8080 });

getUpstreamBridge({ client }).subscribe({
  promptsListChanged: () => notify.promptsChanged(),
  resourcesListChanged: () => notify.resourcesChanged(),
  resourceUpdated: ({ uri }) => notify.resourceUpdated(uri),
  toolsListChanged: () => notify.toolsChanged(),
});
// --- end ---

// The echo fixture's `notify` tool makes the upstream announce changes.
onCommand(() => client.callTool({ name: "notify", arguments: {} }));
report({ ready: "http://127.0.0.1:8080" });
