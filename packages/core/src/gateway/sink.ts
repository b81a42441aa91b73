// The seam between the gateway and the transport serving a modern request:
// the sink interface, and the guarded calls and error answers written to it.
import type {
  JSONRPCErrorResponse,
  JSONRPCNotification,
  JSONRPCResultResponse,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, McpProxyError, toWireError } from "../errors.js";
import { jsonRpcError } from "../jsonrpc.js";

/** Where the gateway delivers what belongs to one modern request. */
export interface ModernSink {
  /** A request-scoped notification (progress, log) or, for listen, a change notification. */
  notify(notification: JSONRPCNotification): void;
  /**
   * The final answer; called at most once per handle()/listen() call.
   * `status` comes only with errors the proxy made itself (the upstream could
   * not be reached or closed: 502; the gateway is closing: 503): the HTTP status
   * a JSON reply should carry, as on the 2025 path (toWireError). An upstream's own JSON-RPC
   * errors come without one.
   */
  respond(message: JSONRPCResultResponse | JSONRPCErrorResponse, status?: number): void;
}

export function wireError(id: RequestId, error: unknown): JSONRPCErrorResponse {
  const wire = toWireError(error);
  const message = error instanceof McpProxyError ? error.message : wire.message;
  return jsonRpcError(id, wire.jsonRpcCode, message) as JSONRPCErrorResponse;
}

/** The gateway is closing: new requests are refused (503 over HTTP). */
export const gatewayClosed = (): McpProxyError =>
  new McpProxyError(ErrorCodes.SHUTTING_DOWN, "Gateway closed");

/** Answers `id` with the proxy's own failure `error`, with its HTTP status (toWireError). */
export function respondFailure(sink: ModernSink, id: RequestId, error: unknown): void {
  safeRespond(sink, wireError(id, error), toWireError(error).status);
}

export function safeRespond(
  sink: ModernSink,
  message: JSONRPCResultResponse | JSONRPCErrorResponse,
  status?: number,
): void {
  try {
    sink.respond(message, status);
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
