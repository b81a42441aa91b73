// CORS headers that browsers accept: every MCP protocol header allowed,
// Mcp-Session-Id exposed, and never "*" together with credentials (an allowed
// origin is reflected instead).
import type { IncomingMessage, ServerResponse } from "node:http";

export const DEFAULT_CORS_METHODS = ["GET", "POST", "DELETE", "OPTIONS"] as const;
export const DEFAULT_CORS_ALLOWED_HEADERS = [
  "Content-Type",
  "Accept",
  "Authorization",
  "X-API-Key",
  "Mcp-Session-Id",
  "MCP-Protocol-Version",
  "Last-Event-ID",
  "Mcp-Method",
  "Mcp-Name",
] as const;
export const DEFAULT_CORS_EXPOSED_HEADERS = ["Mcp-Session-Id", "WWW-Authenticate"] as const;
export const DEFAULT_CORS_MAX_AGE_S = 86_400;

/** The reference package's name for {@link DEFAULT_CORS_ALLOWED_HEADERS}. */
export const DEFAULT_ALLOWED_HEADERS = DEFAULT_CORS_ALLOWED_HEADERS;

export interface CorsOptions {
  /**
   * Allowed origins: a list, one origin, a predicate, or "*" (default: any origin that passed
   * the Origin check, reflected). Naming origins is a trust decision: unless `allowedOrigins` is
   * set, the DNS-rebinding Origin check accepts the same origins, and "*" turns it off (the Host
   * check stays).
   */
  origin?: readonly string[] | string | ((origin: string) => boolean);
  /** Allowed request headers: a list, a comma-separated string, or "*" to reflect what the preflight asks for. */
  allowedHeaders?: readonly string[] | string;
  exposedHeaders?: readonly string[];
  methods?: readonly string[];
  /** Send Access-Control-Allow-Credentials: true (the origin is then always reflected). */
  credentials?: boolean;
  /** Preflight cache lifetime in seconds. */
  maxAge?: number;
}

/** Resolved CORS policy, or undefined when CORS is off. */
export type CorsPolicy = Required<Omit<CorsOptions, "origin" | "allowedHeaders">> & {
  origin: CorsOptions["origin"];
  allowedHeaders: readonly string[] | "*";
};

export function resolveCors(option: boolean | CorsOptions | undefined): CorsPolicy | undefined {
  if (option === false) return undefined;
  const o = option === true || option === undefined ? {} : option;
  return {
    origin: o.origin,
    allowedHeaders: headerList(o.allowedHeaders),
    exposedHeaders: o.exposedHeaders ?? DEFAULT_CORS_EXPOSED_HEADERS,
    methods: o.methods ?? DEFAULT_CORS_METHODS,
    credentials: o.credentials ?? false,
    maxAge: o.maxAge ?? DEFAULT_CORS_MAX_AGE_S,
  };
}

function headerList(headers: CorsOptions["allowedHeaders"]): readonly string[] | "*" {
  if (headers === undefined) return DEFAULT_CORS_ALLOWED_HEADERS;
  if (typeof headers !== "string") return headers;
  if (headers.trim() === "*") return "*";
  return headers
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
}

/**
 * Whether the `origin` rule of CORS options names `origin` (undefined: there is no rule). A
 * predicate that throws names nothing: a bug in it must not open the door.
 */
export function corsOriginNamed(rule: CorsOptions["origin"], origin: string): boolean | undefined {
  if (rule === undefined) return undefined;
  if (rule === "*") return true;
  if (typeof rule === "string") return rule === origin;
  if (typeof rule === "function") {
    try {
      return rule(origin) === true;
    } catch {
      return false;
    }
  }
  return rule.includes(origin);
}

function originAllowed(policy: CorsPolicy, origin: string): boolean {
  return corsOriginNamed(policy.origin, origin) ?? true;
}

/** Sets the CORS headers of a normal response. Returns false when the origin is not allowed by CORS. */
export function applyCors(
  policy: CorsPolicy | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (!policy) return true;
  const origin = req.headers.origin;
  if (!origin) return true;
  res.setHeader("Vary", "Origin");
  if (!originAllowed(policy, origin)) return false;
  // "*" is only safe without credentials; otherwise reflect the allowed origin.
  const allowOrigin = policy.origin === "*" && !policy.credentials ? "*" : origin;
  res.setHeader("Access-Control-Allow-Origin", allowOrigin);
  if (policy.credentials) res.setHeader("Access-Control-Allow-Credentials", "true");
  if (policy.exposedHeaders.length > 0)
    res.setHeader("Access-Control-Expose-Headers", policy.exposedHeaders.join(", "));
  return true;
}

/** Answers a preflight (OPTIONS) request: 204 with the allowed methods and headers. */
export function answerPreflight(
  policy: CorsPolicy | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (policy && applyCors(policy, req, res) && req.headers.origin) {
    res.setHeader("Access-Control-Allow-Methods", policy.methods.join(", "));
    const requested = req.headers["access-control-request-headers"];
    const headers =
      policy.allowedHeaders === "*"
        ? (requested ?? "*")
        : [...policy.allowedHeaders, ...mcpParamHeaders(requested)].join(", ");
    res.setHeader("Access-Control-Allow-Headers", headers);
    res.setHeader("Access-Control-Max-Age", String(policy.maxAge));
  }
  res.setHeader("Allow", "GET, POST, DELETE, OPTIONS");
  res.writeHead(204).end();
}

/**
 * The `Mcp-Param-*` headers a preflight asks for: 2026-07-28 tools name them in
 * their schemas (`x-mcp-header`), so no fixed list can allow them in advance.
 */
function mcpParamHeaders(requested: string | undefined): string[] {
  if (!requested) return [];
  return requested
    .split(",")
    .map((name) => name.trim())
    .filter((name) => /^mcp-param-[!#$%&'*+\-.^_`|~0-9a-z]+$/i.test(name));
}
