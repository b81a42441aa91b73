// Options shared by the HTTP client transports and startStdioServer, with
// their defaults in one place.
import type { Logger } from "@mcp-proxy/core";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";

/** How long to wait for a TCP/TLS connection, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** How long to wait for response headers (and between body chunks of JSON bodies), ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;
/** First delay before reconnecting a dropped event stream, ms (a server `retry:` field overrides it). */
export const DEFAULT_RECONNECT_INITIAL_DELAY_MS = 250;
/** Largest delay between reconnection attempts, ms. */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 5_000;
/** Consecutive failed reconnection attempts before a stream is given up. */
export const DEFAULT_RECONNECT_MAX_ATTEMPTS = 8;
/** Factor the delay bound grows by per failed attempt. */
export const DEFAULT_RECONNECT_GROW_FACTOR = 2;
/** How long close() waits for the session DELETE, ms. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/**
 * How dropped event streams (Streamable HTTP GET and response streams, the 2026-07-28 listen
 * stream) are reopened. Each delay is drawn at random up to a bound ("full jitter") that starts
 * at `initialDelay` and grows by `growFactor` per failure, capped at `maxDelay`.
 */
export interface ReconnectOptions {
  /** Bound of the first delay, ms. Default {@link DEFAULT_RECONNECT_INITIAL_DELAY_MS}. */
  initialDelay?: number;
  /** Largest delay, ms (also caps a server's `retry:`). Default {@link DEFAULT_RECONNECT_MAX_DELAY_MS}. */
  maxDelay?: number;
  /** Growth of the bound per failed attempt, at least 1. Default {@link DEFAULT_RECONNECT_GROW_FACTOR}. */
  growFactor?: number;
  /** Failed attempts in a row before a stream is given up, at least 1. Default {@link DEFAULT_RECONNECT_MAX_ATTEMPTS}. */
  maxAttempts?: number;
}

/** Options of the HTTP client transports (and of startStdioServer). */
export interface HttpClientOptions {
  /** Static headers sent with every request. */
  headers?: Record<string, string>;
  /** A bearer token: sends `Authorization: Bearer <token>`. */
  bearer?: string;
  /**
   * Called before every request; its headers are added last (they win). Use it
   * for tokens that expire and must be refreshed.
   */
  getHeaders?: () => Record<string, string> | Promise<Record<string, string>>;
  /**
   * OAuth (MCP authorization): every request carries this provider's access token, and a 401 (or
   * a 403 `insufficient_scope`) runs the SDK's `auth()` with it (discovery, registration, PKCE,
   * refresh) before the request is sent once more. `FileOAuthProvider` stores credentials per
   * server and logs in through the browser; any SDK `OAuthClientProvider` works, and one with
   * `waitForAuthorizationCode` (see `OAuthLoginProvider`) can complete a login by itself. Not
   * with `bearer` or an `Authorization` header.
   */
  authProvider?: OAuthClientProvider;
  /** Path of a PEM file with the CA certificate(s) to trust for HTTPS (replaces the default roots). */
  sslCa?: string;
  /** Path of a PEM file with the client certificate for mutual TLS. */
  sslCert?: string;
  /** Path of a PEM file with the private key of `sslCert`. */
  sslKey?: string;
  /** TCP/TLS connect timeout, ms. Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  connectTimeout?: number;
  /**
   * Time to wait for response headers, and the idle limit while reading a JSON
   * body, ms. Event streams have no idle limit. Default {@link DEFAULT_REQUEST_TIMEOUT_MS}.
   */
  requestTimeout?: number;
  /** Reconnection of dropped event streams; every field has a default. */
  reconnect?: ReconnectOptions;
  /** Where diagnostics go. Default: silent for the transports, stderr for startStdioServer. */
  logger?: Logger;
  /**
   * Streamable HTTP: close the transport when the server forgets its session (404), instead of
   * answering every later request with a "re-initialize" error. For an owner that opens a new
   * session itself (the stdio front's gateway for 2026-07-28 local clients). Default false.
   */
  closeOnSessionLost?: boolean;
}
