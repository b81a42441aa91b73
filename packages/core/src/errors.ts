// Typed errors with stable codes, shared by every package. Callers branch on
// `code`, never on message text; one function maps a code to HTTP and JSON-RPC.

/** Stable error codes. Add new ones at the end; never rename. */
export const ErrorCodes = {
  SPAWN_FAILED: "ERR_SPAWN_FAILED",
  UPSTREAM_EXITED: "ERR_UPSTREAM_EXITED",
  UPSTREAM_CLOSED: "ERR_UPSTREAM_CLOSED",
  TRANSPORT_CLOSED: "ERR_TRANSPORT_CLOSED",
  NOT_STARTED: "ERR_NOT_STARTED",
  SEND_FAILED: "ERR_SEND_FAILED",
  TIMEOUT: "ERR_TIMEOUT",
  LINE_TOO_LONG: "ERR_LINE_TOO_LONG",
  PARSE_ERROR: "ERR_PARSE_ERROR",
  INVALID_MESSAGE: "ERR_INVALID_MESSAGE",
  BODY_TOO_LARGE: "ERR_BODY_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "ERR_UNSUPPORTED_MEDIA_TYPE",
  NOT_ACCEPTABLE: "ERR_NOT_ACCEPTABLE",
  SESSION_NOT_FOUND: "ERR_SESSION_NOT_FOUND",
  SESSION_REQUIRED: "ERR_SESSION_REQUIRED",
  TOO_MANY_SESSIONS: "ERR_TOO_MANY_SESSIONS",
  UNSUPPORTED_PROTOCOL_VERSION: "ERR_UNSUPPORTED_PROTOCOL_VERSION",
  HEADER_MISMATCH: "ERR_HEADER_MISMATCH",
  METHOD_NOT_ALLOWED: "ERR_METHOD_NOT_ALLOWED",
  NOT_FOUND: "ERR_NOT_FOUND",
  METHOD_NOT_FOUND: "ERR_METHOD_NOT_FOUND",
  FORBIDDEN_ORIGIN: "ERR_FORBIDDEN_ORIGIN",
  FORBIDDEN_HOST: "ERR_FORBIDDEN_HOST",
  UNAUTHORIZED: "ERR_UNAUTHORIZED",
  FORBIDDEN: "ERR_FORBIDDEN",
  BAD_REQUEST: "ERR_BAD_REQUEST",
  INTERNAL: "ERR_INTERNAL",
  /** The server or gateway is closing and takes no new work (503). */
  SHUTTING_DOWN: "ERR_SHUTTING_DOWN",
  /** Every upstream the proxy may run is busy: 503 with Retry-After. */
  UPSTREAMS_BUSY: "ERR_UPSTREAMS_BUSY",
  /** A stream cannot be resumed from a Last-Event-ID: the event was evicted or never issued (409). */
  EVENT_NOT_AVAILABLE: "ERR_EVENT_NOT_AVAILABLE",
  /** The authorization server (its metadata or keys) could not be reached to check a token (503). */
  AUTH_UNAVAILABLE: "ERR_AUTH_UNAVAILABLE",
  /** A cluster's registry (where replicas find each other) could not be reached (503). */
  CLUSTER_UNAVAILABLE: "ERR_CLUSTER_UNAVAILABLE",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The base of every error mcp-proxy throws or reports. */
export class McpProxyError extends Error {
  override readonly name: string = "McpProxyError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The upstream child process could not be started (e.g. ENOENT). */
export class SpawnError extends McpProxyError {
  override readonly name = "SpawnError";
  readonly command: string;
  constructor(command: string, cause: unknown) {
    const reason =
      cause && typeof cause === "object" && "code" in cause && cause.code === "ENOENT"
        ? "command not found"
        : cause instanceof Error
          ? cause.message
          : String(cause);
    super(ErrorCodes.SPAWN_FAILED, `Failed to start "${command}": ${reason}`, { cause });
    this.command = command;
  }
}

/** The upstream child process exited; `exitCode`/`signal` say how. */
export class UpstreamExitedError extends McpProxyError {
  override readonly name = "UpstreamExitedError";
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  constructor(command: string, exitCode: number | null, signal: NodeJS.Signals | null) {
    super(
      ErrorCodes.UPSTREAM_EXITED,
      `Upstream "${command}" exited ${signal ? `on signal ${signal}` : `with code ${exitCode}`}`,
    );
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/** JSON-RPC error codes used on the wire (spec + MCP extensions). */
export const JsonRpcErrorCodes = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  CONNECTION_CLOSED: -32000,
  REQUEST_TIMEOUT: -32001,
  /** 2026-07-28: HTTP headers disagree with the body. */
  HEADER_MISMATCH: -32020,
  /** 2026-07-28: the request needs a client capability the client did not declare. */
  MISSING_REQUIRED_CLIENT_CAPABILITY: -32021,
  /** 2026-07-28: unsupported protocol version. */
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
} as const;

interface WireError {
  status: number;
  jsonRpcCode: number;
}

const WIRE: Partial<Record<ErrorCode, WireError>> = {
  ERR_PARSE_ERROR: { status: 400, jsonRpcCode: JsonRpcErrorCodes.PARSE_ERROR },
  ERR_INVALID_MESSAGE: { status: 400, jsonRpcCode: JsonRpcErrorCodes.INVALID_REQUEST },
  ERR_BAD_REQUEST: { status: 400, jsonRpcCode: JsonRpcErrorCodes.INVALID_REQUEST },
  ERR_SESSION_REQUIRED: { status: 400, jsonRpcCode: JsonRpcErrorCodes.INVALID_REQUEST },
  ERR_UNSUPPORTED_PROTOCOL_VERSION: {
    status: 400,
    jsonRpcCode: JsonRpcErrorCodes.UNSUPPORTED_PROTOCOL_VERSION,
  },
  ERR_HEADER_MISMATCH: { status: 400, jsonRpcCode: JsonRpcErrorCodes.HEADER_MISMATCH },
  ERR_UNAUTHORIZED: { status: 401, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_FORBIDDEN: { status: 403, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_FORBIDDEN_ORIGIN: { status: 403, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_FORBIDDEN_HOST: { status: 403, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_NOT_FOUND: { status: 404, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_SESSION_NOT_FOUND: { status: 404, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_METHOD_NOT_FOUND: { status: 404, jsonRpcCode: JsonRpcErrorCodes.METHOD_NOT_FOUND },
  ERR_METHOD_NOT_ALLOWED: { status: 405, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_NOT_ACCEPTABLE: { status: 406, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_EVENT_NOT_AVAILABLE: { status: 409, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_BODY_TOO_LARGE: { status: 413, jsonRpcCode: JsonRpcErrorCodes.INVALID_REQUEST },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, jsonRpcCode: JsonRpcErrorCodes.INVALID_REQUEST },
  ERR_TOO_MANY_SESSIONS: { status: 503, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_SHUTTING_DOWN: { status: 503, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_UPSTREAMS_BUSY: { status: 503, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_AUTH_UNAVAILABLE: { status: 503, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_CLUSTER_UNAVAILABLE: { status: 503, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_UPSTREAM_EXITED: { status: 502, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_UPSTREAM_CLOSED: { status: 502, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_SPAWN_FAILED: { status: 502, jsonRpcCode: JsonRpcErrorCodes.CONNECTION_CLOSED },
  ERR_TIMEOUT: { status: 504, jsonRpcCode: JsonRpcErrorCodes.REQUEST_TIMEOUT },
};

/**
 * The one place that turns an error into its HTTP status and JSON-RPC code.
 * Anything that is not an McpProxyError is an internal error (500 / -32603).
 */
export function toWireError(error: unknown): WireError & { message: string } {
  if (error instanceof McpProxyError) {
    const wire = WIRE[error.code] ?? { status: 500, jsonRpcCode: JsonRpcErrorCodes.INTERNAL_ERROR };
    return { ...wire, message: error.message };
  }
  return { status: 500, jsonRpcCode: JsonRpcErrorCodes.INTERNAL_ERROR, message: "Internal error" };
}
