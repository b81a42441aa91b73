// The proxy's own answer to a server->client request that no client call
// caused: a 2025-era server may ask on its own (server-everything lists roots
// 350 ms after initialization) or while nothing interactive is in flight on a
// shared upstream. Nobody can be asked, so the proxy answers as a client that
// has nothing to offer, and no client's call is failed or cancelled for it.
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { JsonRpcErrorCodes } from "./errors.js";
import { jsonRpcError } from "./jsonrpc.js";

/**
 * The answer for a server request with no caller: `ping` → `{}`; `roots/list`
 * → no roots; `elicitation/create` → declined (the user was never shown it);
 * `sampling/createMessage` and anything else → an error naming the reason.
 */
export function answerUnattributed(id: RequestId, method: string): JSONRPCMessage {
  switch (method) {
    case "ping":
      return { jsonrpc: "2.0", id, result: {} };
    case "roots/list":
      return { jsonrpc: "2.0", id, result: { roots: [] } };
    case "elicitation/create":
      return { jsonrpc: "2.0", id, result: { action: "decline" } };
    case "sampling/createMessage":
      return jsonRpcError(
        id,
        JsonRpcErrorCodes.INTERNAL_ERROR,
        "mcp-proxy: no client call is waiting on this upstream, so no client can be asked to sample",
      ) as JSONRPCMessage;
    default:
      return jsonRpcError(
        id,
        JsonRpcErrorCodes.METHOD_NOT_FOUND,
        `Method not found: ${method}`,
      ) as JSONRPCMessage;
  }
}
