// The seam between the gateway and the transport serving a modern request:
// the sink interface, and the guarded calls and error answers written to it.
import type {
  JSONRPCErrorResponse,
  JSONRPCNotification,
  JSONRPCResultResponse,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { JsonRpcErrorCodes, McpProxyError, toWireError } from "../errors.js";
import { jsonRpcError } from "../jsonrpc.js";

/** Where the gateway delivers what belongs to one modern request. */
export interface ModernSink {
  /** A request-scoped notification (progress, log) or, for listen, a change notification. */
  notify(notification: JSONRPCNotification): void;
  /** The final answer; called at most once per handle()/listen() call. */
  respond(message: JSONRPCResultResponse | JSONRPCErrorResponse): void;
}

export function wireError(id: RequestId, error: unknown): JSONRPCErrorResponse {
  const wire = toWireError(error);
  const message = error instanceof McpProxyError ? error.message : wire.message;
  return jsonRpcError(id, wire.jsonRpcCode, message) as JSONRPCErrorResponse;
}

export const closedError = (id: RequestId): JSONRPCErrorResponse =>
  jsonRpcError(id, JsonRpcErrorCodes.CONNECTION_CLOSED, "Gateway closed") as JSONRPCErrorResponse;

export function safeRespond(
  sink: ModernSink,
  message: JSONRPCResultResponse | JSONRPCErrorResponse,
): void {
  try {
    sink.respond(message);
  } catch {
    // A sink that throws (socket gone) must not take the gateway down.
  }
}

export function safeNotify(sink: ModernSink, message: JSONRPCNotification): void {
  try {
    sink.notify(message);
  } catch {
    // As above.
  }
}
