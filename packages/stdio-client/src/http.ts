// The undici plumbing both client transports share: one dispatcher per target
// (keep-alive pool, custom CA / client certificate, env proxy), per-request
// headers, and the mapping of HTTP failures to McpProxyError codes.
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";
import { Agent, type Dispatcher, EnvHttpProxyAgent } from "undici";
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type HttpClientOptions,
} from "./options.js";

/** Environment variables that make us route through EnvHttpProxyAgent. */
const PROXY_ENV = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] as const;

interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

function readPem(path: string | undefined, what: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new McpProxyError(ErrorCodes.BAD_REQUEST, `Cannot read ${what} file "${path}"`, {
      cause,
    });
  }
}

/**
 * Builds the dispatcher for one target. With HTTP(S)_PROXY set, undici's
 * EnvHttpProxyAgent picks the proxy per request and honours NO_PROXY (note: it
 * has no built-in exemption for localhost; list it in NO_PROXY if wanted).
 */
export function createDispatcher(options: HttpClientOptions, env = process.env): Dispatcher {
  const tls: TlsFiles = {};
  const ca = readPem(options.sslCa, "CA certificate");
  const cert = readPem(options.sslCert, "client certificate");
  const key = readPem(options.sslKey, "client key");
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  const timeout = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const connect = { ...tls, timeout };
  if (PROXY_ENV.some((name) => env[name])) {
    // The proxy agent tunnels with CONNECT and then needs the target's TLS
    // settings as requestTls; `connect` covers targets exempted by NO_PROXY.
    return new EnvHttpProxyAgent({ connect, requestTls: connect, proxyTls: { timeout } });
  }
  return new Agent({ connect });
}

/** Builds the headers of one request: defaults, static, bearer, per-request ones, then protocol ones. */
export async function buildHeaders(
  options: HttpClientOptions,
  base: Record<string, string>,
  protocol: Record<string, string> = {},
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  const put = (source: Record<string, string> | undefined) => {
    if (!source) return;
    for (const [name, value] of Object.entries(source)) headers[name.toLowerCase()] = value;
  };
  put(base);
  put(options.headers);
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  if (options.getHeaders) {
    try {
      put(await options.getHeaders());
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new McpProxyError(ErrorCodes.INTERNAL, `getHeaders() failed: ${reason}`, { cause });
    }
  }
  // Session and protocol headers are ours to set: a user header must not break them.
  put(protocol);
  return headers;
}

/**
 * The controller whose signal every request of a transport carries, so that
 * close() aborts them all. Each request in flight adds one abort listener and
 * removes it when done: many concurrent requests are normal, not a leak, so
 * Node's listener-count warning is turned off for this signal.
 */
export function transportAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

export function requestTimeout(options: HttpClientOptions): number {
  return options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS;
}

/** Reads a header that undici may hand over as a string or an array. */
export function header(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * An error for a non-success HTTP status, with a message a person can act on. `oauth`: the
 * request carried a token just obtained through OAuth.
 */
export function statusError(
  status: number,
  target: URL,
  detail: string,
  oauth = false,
): McpProxyError {
  const where = `${target.origin}${target.pathname}`;
  if (status === 401 && oauth) {
    return new McpProxyError(
      ErrorCodes.UNAUTHORIZED,
      `Remote MCP server ${where} answered 401 Unauthorized even after OAuth authorization: it refuses the tokens its authorization server issued (check the scopes and the resource it expects)`,
    );
  }
  if (status === 401) {
    return new McpProxyError(
      ErrorCodes.UNAUTHORIZED,
      `Remote MCP server ${where} answered 401 Unauthorized: the credentials are missing or invalid (check the bearer token or headers)`,
    );
  }
  if (status === 403) {
    return new McpProxyError(
      ErrorCodes.FORBIDDEN,
      `Remote MCP server ${where} answered 403 Forbidden: the credentials are not allowed to use it`,
    );
  }
  const suffix = detail ? `: ${detail}` : "";
  return new McpProxyError(
    ErrorCodes.BAD_REQUEST,
    `Remote MCP server ${where} answered HTTP ${status}${suffix}`,
  );
}

/** Turns an undici/network failure into an McpProxyError. */
export function networkError(cause: unknown, target: URL): McpProxyError {
  if (cause instanceof McpProxyError) return cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  const text = cause instanceof Error ? cause.message : String(cause);
  if (
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT"
  ) {
    return new McpProxyError(
      ErrorCodes.TIMEOUT,
      `Request to ${target.origin} timed out (${text})`,
      { cause },
    );
  }
  const reason = typeof code === "string" ? `${code}: ${text}` : text;
  return new McpProxyError(
    ErrorCodes.UPSTREAM_CLOSED,
    `Cannot reach ${target.origin} (${reason})`,
    { cause },
  );
}

/** A short, single-line excerpt of a response body for error messages. */
export function excerpt(text: string, max = 200): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
