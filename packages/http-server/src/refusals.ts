// What a refusal carries besides its code. Status and JSON-RPC code come from
// core's WIRE table like every McpProxyError's (toWireError); here are the
// headers some statuses need beside them (RFC 9110: a 405 names what is
// allowed, a 401 its auth scheme) and the request id the error's JSON-RPC
// body names, recorded once wherever it is learnt: the one path to sendError.
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";

/** A refusal whose response needs headers beside its status. */
export abstract class HttpRefusal extends McpProxyError {
  /** Headers the refusal's response carries. */
  abstract readonly headers: Readonly<Record<string, string>>;
}

/** A 405 with the methods the endpoint takes (RFC 9110 §15.5.6). */
export class MethodNotAllowedError extends HttpRefusal {
  override readonly name = "MethodNotAllowedError";
  readonly headers: Readonly<Record<string, string>>;
  constructor(allow: string, message = "Method Not Allowed") {
    super(ErrorCodes.METHOD_NOT_ALLOWED, message);
    this.headers = { Allow: allow };
  }
}

/**
 * The session a request names is not one this server serves: unknown, expired, another
 * principal's, or held by a replica that is gone. One answer for all, so none is confirmed.
 */
export const sessionNotFound = (): McpProxyError =>
  new McpProxyError(ErrorCodes.SESSION_NOT_FOUND, "Not Found: unknown or expired session");

/** A 401 with its `WWW-Authenticate` challenge (RFC 9110 §15.5.2: every 401 names a scheme). */
export class UnauthorizedError extends HttpRefusal {
  override readonly name = "UnauthorizedError";
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The default challenge tells a client that presented a bearer token it was refused (RFC 6750
   * §3.1), and one that sent none only the scheme.
   */
  constructor(message: string, bearer: boolean, challenge?: string) {
    super(ErrorCodes.UNAUTHORIZED, message);
    this.headers = {
      "WWW-Authenticate": challenge ?? (bearer ? 'Bearer error="invalid_token"' : "Bearer"),
    };
  }
}

/** A 403 for a valid token without the scopes this server requires (RFC 6750 §3.1 `insufficient_scope`). */
export class InsufficientScopeError extends HttpRefusal {
  override readonly name = "InsufficientScopeError";
  readonly headers: Readonly<Record<string, string>>;
  constructor(message: string, challenge: string) {
    super(ErrorCodes.FORBIDDEN, message);
    this.headers = { "WWW-Authenticate": challenge };
  }
}

const requestIds = new WeakMap<object, RequestId | null>();

/**
 * Records which request `error` answers, so that its JSON-RPC body carries that id. The first
 * id recorded stays (the closest to where the error arose); returns `error` for `throw`.
 */
export function withRequestId<E>(error: E, id: RequestId | null | undefined): E {
  if (typeof error === "object" && error !== null && id !== undefined && !requestIds.has(error))
    requestIds.set(error, id);
  return error;
}

/** The request id recorded for `error`, else null (the JSON-RPC id of an unattributed error). */
export function requestIdOf(error: unknown): RequestId | null {
  return (typeof error === "object" && error !== null ? requestIds.get(error) : undefined) ?? null;
}

/** The id of the first request in a parsed body, if any. */
export function firstRequestId(messages: readonly unknown[]): RequestId | undefined {
  for (const message of messages) {
    const id = (message as { id?: unknown }).id;
    if (typeof id === "string" || typeof id === "number") return id;
  }
  return undefined;
}
