// How an HTTP layer wires a modern POST to the gateway (type-checked, not
// exported): classify, validate headers, then answer with JSON when the final
// response comes first, or an SSE stream once a notification arrives. Closing
// the response aborts the request (2026-07-28: closing the stream cancels).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import { ChildProcessTransport } from "../child-process.js";
import { modernErrorStatus, validateModernRequest } from "../protocol/headers.js";
import { classifyEra } from "../protocol/versions.js";
import { ModernGateway } from "./gateway.js";

export function createGatewayExample(): ModernGateway {
  return new ModernGateway({
    createUpstream: () => new ChildProcessTransport({ command: "npx", args: ["some-mcp-server"] }),
    upstreamProtocol: "auto",
  });
}

export async function serveModernPost(
  gateway: ModernGateway,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): Promise<boolean> {
  if (classifyEra(body, req.headers) !== "modern") return false; // legacy path handles it
  const message = body as JSONRPCRequest;
  const toolInputSchema =
    message.method === "tools/call"
      ? await gateway.toolInputSchema(String(message.params?.name)).catch(() => undefined)
      : undefined;
  const checked = validateModernRequest({ headers: req.headers, message, toolInputSchema });
  if (!checked.ok) {
    res.writeHead(checked.status, { "content-type": "application/json" });
    res.end(JSON.stringify(checked.jsonRpcError));
    return true;
  }
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableEnded) abort.abort();
  });
  let streaming = false;
  await gateway.handle(
    message,
    {
      notify(notification) {
        if (!streaming) {
          streaming = true;
          res.writeHead(200, { "content-type": "text/event-stream", "x-accel-buffering": "no" });
        }
        res.write(`event: message\ndata: ${JSON.stringify(notification)}\n\n`);
      },
      respond(response) {
        if (streaming) {
          res.end(`event: message\ndata: ${JSON.stringify(response)}\n\n`);
          return;
        }
        const status = "error" in response ? modernErrorStatus(response.error.code) : 200;
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(response));
      },
    },
    abort.signal,
  );
  return true;
}
