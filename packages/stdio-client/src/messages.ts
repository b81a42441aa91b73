// Small JSON-RPC helpers for the client transports: decode bodies, build the
// error response a local request gets when the HTTP leg fails.
import { ErrorCodes, jsonRpcError, type Logger, McpProxyError, toWireError } from "@mcp-proxy/core";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { excerpt } from "./http.js";

/** Parses a JSON body holding one message or a batch; throws on invalid JSON. */
export function decodeMessages(text: string): JSONRPCMessage[] {
  const value: unknown = JSON.parse(text);
  const list = Array.isArray(value) ? value : [value];
  return list.filter((m): m is JSONRPCMessage => typeof m === "object" && m !== null);
}

/**
 * Delivers the messages of one SSE `message` event. Data that is not JSON is
 * skipped: one bad event must not end a stream that carries other answers.
 */
export function receiveEventData(
  data: string,
  deliver: (message: JSONRPCMessage) => void,
  logger: Logger,
  onError: (error: Error) => void,
): void {
  let messages: JSONRPCMessage[];
  try {
    messages = decodeMessages(data);
  } catch {
    const error = new McpProxyError(
      ErrorCodes.PARSE_ERROR,
      `Skipping an SSE event that is not JSON: ${excerpt(data)}`,
    );
    logger.warn(error.message);
    onError(error);
    return;
  }
  for (const message of messages) deliver(message);
}

/** The JSON-RPC error response that tells the local client why its request failed. */
export function errorResponse(id: RequestId, error: unknown): JSONRPCMessage {
  const wire = toWireError(error);
  const message = error instanceof Error ? error.message : wire.message;
  return jsonRpcError(id, wire.jsonRpcCode, message) as JSONRPCMessage;
}

/**
 * Codes servers use for a plain HTTP-level refusal (wrong method, unknown path,
 * unknown session): -32000/-32001 as the SDK and our http-server send them.
 */
const GENERIC_REFUSAL_CODES = new Set([-32000, -32001]);

/**
 * True when a body is a JSON-RPC error that refuses the message itself
 * (unsupported version, unknown method, bad params…): a Streamable HTTP server
 * explaining itself, which auto mode must not mistake for an SSE-only server.
 */
export function isModernJsonRpcError(text: string): boolean {
  if (!isJsonRpcErrorBody(text)) return false;
  const value: unknown = JSON.parse(text);
  const first = (Array.isArray(value) ? value[0] : value) as { error: { code?: unknown } };
  return !GENERIC_REFUSAL_CODES.has(Number(first.error.code));
}

/** True when a body is a JSON-RPC error response. */
export function isJsonRpcErrorBody(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    const first = Array.isArray(value) ? value[0] : value;
    return (
      typeof first === "object" &&
      first !== null &&
      (first as { jsonrpc?: unknown }).jsonrpc === "2.0" &&
      typeof (first as { error?: unknown }).error === "object"
    );
  } catch {
    return false;
  }
}

export function methodOf(message: JSONRPCMessage): string | undefined {
  const method = (message as { method?: unknown }).method;
  return typeof method === "string" ? method : undefined;
}
