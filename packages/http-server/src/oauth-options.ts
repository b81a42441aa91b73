// The `oauth` option of startHTTPServer in its two shapes (the proxy as an
// OAuth 2.1 resource server, or the reference package's challenge fields) and
// their defaults; oauth.ts does the work.
import type { IncomingMessage } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";

/** Allowed clock skew for `exp`, `nbf` and `iat`, in seconds. */
export const DEFAULT_OAUTH_CLOCK_TOLERANCE_S = 60;
/** After a key-set fetch, a token naming an unknown key causes no new fetch for this long (ms). */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;

/**
 * The proxy as an OAuth 2.1 resource server: it verifies the bearer tokens an authorization server
 * issued for it, serves RFC 9728 metadata naming that server, and challenges as the MCP
 * authorization spec asks.
 */
export interface OAuthOptions {
  /**
   * The authorization server(s) whose tokens are accepted, as issuer identifiers (https, or http on
   * a loopback host). Their RFC 8414 or OpenID metadata is discovered and their JWKS fetched, cached
   * and refetched when a token names an unknown key. The metadata lists them as `authorization_servers`.
   */
  issuer: string | readonly string[];
  /**
   * The resource identifier (RFC 8707) tokens must name in `aud`: the URL clients use for the
   * Streamable HTTP endpoint, e.g. `https://mcp.example.com/mcp` behind a TLS terminator. Default:
   * the server's own URL with the stream endpoint (`http://127.0.0.1:8080/mcp`); required when
   * bound to every interface. The other endpoints are the resources beside it (`…/sse`), and a
   * token for any of them is accepted on all.
   */
  audience?: string;
  /** Scopes every token must carry (403 `insufficient_scope` otherwise); advertised in metadata and challenges. */
  scopes?: readonly string[];
  /** Allowed clock skew in seconds. Default 60. */
  clockTolerance?: number;
  /** Milliseconds after a key-set fetch during which an unknown key id does not cause another. Default 30000. */
  jwksCooldown?: number;
  /**
   * Checks tokens instead of the built-in JWT verification (for tokens of another kind). Return the
   * token's AuthInfo, or undefined or throw for a token that is not valid (401). Its `scopes` are
   * checked against `scopes`, its `expiresAt` and `resource` (when set) against the clock and this
   * server; session binding uses its `clientId` and `extra.iss` / `extra.sub`.
   */
  verify?: (
    token: string,
    request: IncomingMessage,
  ) => AuthInfo | undefined | Promise<AuthInfo | undefined>;
  /**
   * RFC 7662 introspection of tokens that are not JWTs (opaque tokens), with this client's
   * credentials (HTTP Basic). Default endpoint: the first issuer's `introspection_endpoint`.
   * Each such request costs a call to the authorization server.
   */
  introspection?: { endpoint?: string; clientId: string; clientSecret: string };
  /** More RFC 9728 fields for the metadata (`resource_name`, `resource_documentation`, …). */
  resourceMetadata?: Readonly<Record<string, unknown>>;
}

/**
 * The reference package's `oauth` option: fields of the 401 challenge only. The API key or
 * `authenticate` does the checking; no token is verified and no metadata is served.
 */
export interface ReferenceOAuthOptions {
  error?: string;
  error_description?: string;
  error_uri?: string;
  protectedResource?: { resource?: string };
  realm?: string;
  scope?: string;
}

/** Whether `oauth` makes the proxy a resource server (an `issuer`) or only shapes challenges. */
export function isResourceServerOptions(
  oauth: OAuthOptions | ReferenceOAuthOptions | undefined,
): oauth is OAuthOptions {
  return oauth !== undefined && "issuer" in oauth && oauth.issuer !== undefined;
}
