// Sessions through the official SDK client (Client + its transports): what most
// users of the proxy run, with the SDK's own validation and bookkeeping per call.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type BenchSession, textLength } from "./types.js";

async function openSdk(transport: Transport, end?: () => Promise<void>): Promise<BenchSession> {
  const client = new Client({ name: "mcp-proxy-bench", version: "0.0.0" });
  await client.connect(transport);
  let closing: Promise<void> | undefined;
  return {
    async call(name, args) {
      return textLength({ result: await client.callTool({ name, arguments: args }) });
    },
    close() {
      closing ??= (async () => {
        await end?.().catch(() => {});
        await client.close();
      })();
      return closing;
    },
  };
}

export function openSdkStreamable(url: URL): Promise<BenchSession> {
  const transport = new StreamableHTTPClientTransport(url);
  // DELETE the session so a stateful proxy reaps its child (a no-op without a session id).
  return openSdk(transport, () => transport.terminateSession());
}

export function openSdkSse(url: URL): Promise<BenchSession> {
  return openSdk(new SSEClientTransport(url));
}

export function openSdkStdio(command: string, args: string[]): Promise<BenchSession> {
  return openSdk(new StdioClientTransport({ command, args, stderr: "ignore" }));
}
