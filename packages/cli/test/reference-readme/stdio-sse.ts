// Reference README, "startStdioServer" (this process's stdin/stdout speak MCP).
import { ChildProcessTransport } from "@mcp-proxy/core";
import { startHTTPServer } from "@mcp-proxy/http-server";
import { ServerType, startStdioServer } from "@mcp-proxy/stdio-client";
import { ECHO_SERVER } from "./prelude.js";

// The remote server the example points at.
await startHTTPServer({
  port: 8080,
  createUpstream: () =>
    new ChildProcessTransport({ command: process.execPath, args: [ECHO_SERVER], stderr: "ignore" }),
});

// --- reference README, verbatim ---
await startStdioServer({
  serverType: ServerType.SSE,
  url: "http://127.0.0.1:8080/sse",
});
// --- end ---
