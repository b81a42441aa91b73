// Errors to responses, in one place: every rejection is an HTTP status plus a
// JSON-RPC error body carrying the request id when it is known.
import type { ServerResponse } from "node:http";
import { jsonRpcError, toWireError } from "@mcp-proxy/core";
import { HttpRefusal, requestIdOf } from "./refusals.js";

/**
 * Bodies up to this many UTF-16 units go out as a string: Node then sends headers
 * and body in one write, and measuring a short string costs less than encoding it.
 * Longer ones are encoded once into a Buffer whose length is the Content-Length
 * (a string would be scanned for its length and encoded again by the socket).
 */
export const SMALL_BODY_CHARS = 16 * 1024;

/**
 * Answers with `body` as JSON. `text`, when given, must be the JSON text of `body`
 * (for example the exact line an upstream sent, when nothing rewrote the message):
 * it is sent as it is instead of serialising `body` again.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
  text?: string,
): void {
  if (res.headersSent || res.destroyed) return;
  const json = text ?? JSON.stringify(body);
  const payload: string | Buffer = json.length <= SMALL_BODY_CHARS ? json : Buffer.from(json);
  const length = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json",
    "Content-Length": String(length),
  });
  res.end(payload);
}

/** Seconds a client is asked to wait before retrying a 503 (too many sessions, busy upstreams). */
export const RETRY_AFTER_SECONDS = "1";

/** The extra headers of a JSON answer with `status`: Retry-After on a 503. */
export function statusHeaders(status: number): Record<string, string> | undefined {
  return status === 503 ? { "Retry-After": RETRY_AFTER_SECONDS } : undefined;
}

/**
 * Answers with the status and JSON-RPC error of `error` (core's WIRE table, through toWireError),
 * the headers its status needs, and the request id recorded for it (withRequestId); tears the
 * response down when headers are out.
 */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  if (res.destroyed) return;
  const { status, jsonRpcCode, message } = toWireError(error);
  const headers: Record<string, string> = error instanceof HttpRefusal ? { ...error.headers } : {};
  // RFC 9110 §15.5.2: every 401 names a scheme, whatever raised it.
  if (status === 401) headers["WWW-Authenticate"] ??= "Bearer";
  if (status === 413) headers.Connection = "close";
  Object.assign(headers, statusHeaders(status));
  sendJson(res, status, jsonRpcError(requestIdOf(error), jsonRpcCode, message), headers);
}
