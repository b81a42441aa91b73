// The proxy as an OAuth 2.1 resource server (MCP authorization, 2025-06-18 on):
// which resource each endpoint is, its RFC 9728 metadata, the Bearer
// challenges of 401 and 403, and the check of every request's token.
// Spec: basic/authorization (resource server, token audience binding, scope challenges).

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@mcp-proxy/core";
import { McpProxyError } from "@mcp-proxy/core";
import { isLoopbackHost } from "@mcp-proxy/core/internal";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { bearerChallenge, metadataPathOf, PROTECTED_RESOURCE_METADATA_PATH } from "./challenge.js";
import {
  DEFAULT_JWKS_COOLDOWN_MS,
  DEFAULT_OAUTH_CLOCK_TOLERANCE_S,
  type OAuthOptions,
} from "./oauth-options.js";
import type { StartHTTPServerOptions } from "./options.js";
import { InsufficientScopeError, MethodNotAllowedError, UnauthorizedError } from "./refusals.js";
import { bearerToken, pathOf } from "./request-info.js";
import { sendJson } from "./responses.js";
import { TokenError, TokenVerifier } from "./token-verifier.js";

/** Where the server is reachable, for the default audience. */
export interface BoundAddress {
  host: string;
  /** The server's base URL once it listens (`http://127.0.0.1:8080`). */
  baseUrl: () => string;
}

/** The resource each path is, and the metadata documents. */
interface Layout {
  resourceOf: ReadonlyMap<string, string>;
  /** The resource of paths that are no endpoint (metrics). */
  fallback: string;
  /** `aud` value -> the resource it names (each resource as given and as its URL's normal form). */
  audiences: ReadonlyMap<string, string>;
  /** Metadata path -> its document. */
  documents: ReadonlyMap<string, Record<string, unknown>>;
}

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0", ""]);
/** RFC 6749 §3.3 scope-token: printable ASCII without space, quote or backslash. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Throws unless `value` is an https URL, or http on a loopback host (tokens and secrets travel there). */
function checkSecureUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`startHTTPServer: ${what} "${value}" is not a URL`);
  }
  const loopback = url.protocol === "http:" && isLoopbackHost(url.hostname);
  if (url.protocol !== "https:" && !loopback)
    throw new TypeError(
      `startHTTPServer: ${what} "${value}" must use https (http only on a loopback address)`,
    );
  return url;
}

/** The OAuth options checked, with their defaults; a TypeError names the first problem. */
function resolveOAuthOptions(
  options: StartHTTPServerOptions,
  oauth: OAuthOptions,
  host: string,
): { issuers: string[]; scopes: readonly string[]; tolerance: number; cooldown: number } {
  // A bearer token is either the API key or an OAuth token; accepting both would let the key
  // stand in for any user. `authenticate` is replaced by `oauth.verify`.
  if (options.apiKey !== undefined)
    throw new TypeError("startHTTPServer: pass apiKey or oauth.issuer, not both");
  if (options.authenticate !== undefined)
    throw new TypeError(
      "startHTTPServer: pass authenticate or oauth.issuer, not both (oauth.verify checks tokens your way)",
    );
  const issuers = typeof oauth.issuer === "string" ? [oauth.issuer] : [...oauth.issuer];
  if (issuers.length === 0) throw new TypeError("startHTTPServer: oauth.issuer names no issuer");
  for (const issuer of issuers) {
    const url = checkSecureUrl(issuer, "oauth.issuer");
    if (url.search !== "" || url.hash !== "")
      throw new TypeError(`startHTTPServer: oauth.issuer "${issuer}" has a query or fragment`);
  }
  const scopes = oauth.scopes ?? [];
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope))
      throw new TypeError(`startHTTPServer: oauth.scopes: "${scope}" is not a scope token`);
  }
  const tolerance = oauth.clockTolerance ?? DEFAULT_OAUTH_CLOCK_TOLERANCE_S;
  if (!Number.isFinite(tolerance) || tolerance < 0)
    throw new TypeError(
      `startHTTPServer: oauth.clockTolerance must be >= 0 seconds, got ${tolerance}`,
    );
  const cooldown = oauth.jwksCooldown ?? DEFAULT_JWKS_COOLDOWN_MS;
  if (!Number.isInteger(cooldown) || cooldown < 0)
    throw new TypeError(
      `startHTTPServer: oauth.jwksCooldown must be a whole number of ms >= 0, got ${cooldown}`,
    );
  if (oauth.audience !== undefined) {
    let url: URL;
    try {
      url = new URL(oauth.audience);
    } catch {
      throw new TypeError(`startHTTPServer: oauth.audience "${oauth.audience}" is not a URL`);
    }
    if ((url.protocol !== "https:" && url.protocol !== "http:") || url.hash !== "")
      throw new TypeError(
        `startHTTPServer: oauth.audience "${oauth.audience}" must be an http(s) URL without fragment`,
      );
  } else if (WILDCARD_HOSTS.has(host)) {
    // The audience is what keeps another server's tokens out: it cannot be guessed from Host.
    throw new TypeError(
      `startHTTPServer: oauth.audience is required with host "${host}": give the URL clients use (e.g. https://mcp.example.com/mcp)`,
    );
  }
  if (oauth.introspection?.endpoint !== undefined)
    checkSecureUrl(oauth.introspection.endpoint, "oauth.introspection.endpoint");
  return { issuers, scopes, tolerance, cooldown };
}

export class ResourceServer {
  readonly #o: OAuthOptions;
  readonly #issuers: readonly string[];
  readonly #scopes: readonly string[];
  readonly #endpoints: readonly string[];
  readonly #sseEndpoint: string | null;
  readonly #messagesEndpoint: string | null;
  readonly #tolerance: number;
  readonly #address: BoundAddress;
  readonly #verifier: TokenVerifier;
  readonly #logger: Logger;
  #layout: Layout | undefined;

  constructor(
    options: StartHTTPServerOptions,
    oauth: OAuthOptions,
    endpoints: { stream: string | null; sse: string | null; messages: string | null },
    address: BoundAddress,
    logger: Logger,
  ) {
    const { issuers, scopes, tolerance, cooldown } = resolveOAuthOptions(
      options,
      oauth,
      address.host,
    );
    this.#o = oauth;
    this.#issuers = issuers;
    this.#scopes = scopes;
    this.#endpoints = [endpoints.stream, endpoints.sse].filter((e): e is string => e !== null);
    this.#sseEndpoint = endpoints.sse;
    this.#messagesEndpoint = endpoints.sse === null ? null : endpoints.messages;
    this.#tolerance = tolerance;
    this.#address = address;
    this.#logger = logger;
    this.#verifier = new TokenVerifier({
      issuers,
      audiences: () => this.#resolved().audiences,
      clockTolerance: tolerance,
      jwksCooldown: cooldown,
      introspection: oauth.introspection,
      logger,
    });
  }

  /**
   * Begins discovering the authorization servers (failures are logged and retried on demand);
   * a custom `verify` needs no discovery.
   */
  warmUp(): void {
    if (!this.#o.verify) this.#verifier.warmUp();
  }

  /** The metadata document served at `path`, if it is one of ours. */
  metadataAt(path: string): Record<string, unknown> | undefined {
    if (!path.startsWith(PROTECTED_RESOURCE_METADATA_PATH)) return undefined;
    return this.#resolved().documents.get(path);
  }

  /**
   * Serves a metadata document: public, unauthenticated, readable from any origin (a hosted client
   * discovers the authorization server from its browser). GET and HEAD; OPTIONS is its preflight.
   */
  serveMetadata(req: IncomingMessage, res: ServerResponse, doc: Record<string, unknown>): void {
    res.setHeader("Access-Control-Allow-Origin", "*");
    if (req.method === "OPTIONS") {
      res.setHeader("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
      // Clients send MCP-Protocol-Version on this fetch; nothing here is secret, so any header may come.
      res.setHeader(
        "Access-Control-Allow-Headers",
        req.headers["access-control-request-headers"] ?? "*",
      );
      res.setHeader("Access-Control-Max-Age", "86400");
      res.writeHead(204, { Allow: "GET, HEAD, OPTIONS" }).end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD")
      throw new MethodNotAllowedError("GET, HEAD, OPTIONS");
    sendJson(res, 200, doc);
  }

  /** Checks the request's bearer token; throws 401 (UnauthorizedError), 403 (InsufficientScopeError) or 503. */
  async authenticate(req: IncomingMessage): Promise<AuthInfo> {
    const resource = this.#resourceOf(pathOf(req));
    const token = bearerToken(req);
    // RFC 6750 §3.1: a request without credentials learns where to get them, with no error code.
    if (token === undefined)
      throw new UnauthorizedError(
        "Unauthorized: a bearer token is required",
        false,
        this.#challenge(resource),
      );
    let info: AuthInfo;
    try {
      info = await this.#check(token, req);
    } catch (error) {
      if (error instanceof McpProxyError) {
        this.#logger.warn("OAuth: cannot check tokens", {
          error: error.message,
          cause: error.cause instanceof Error ? error.cause.message : undefined,
        });
        throw error;
      }
      // A custom verify's exception may hold internals: the client learns only that it failed.
      const reason = error instanceof TokenError ? error.message : "token verification failed";
      this.#logger.debug("OAuth: token refused", { reason });
      throw new UnauthorizedError(
        `Unauthorized: ${reason}`,
        true,
        this.#challenge(resource, [
          ["error", "invalid_token"],
          ["error_description", reason],
        ]),
      );
    }
    const missing = this.#scopes.filter((scope) => !info.scopes.includes(scope));
    if (missing.length > 0) {
      const reason = `the token lacks the scope ${missing.join(" ")}`;
      throw new InsufficientScopeError(
        `Forbidden: ${reason}`,
        this.#challenge(resource, [
          ["error", "insufficient_scope"],
          ["error_description", reason],
        ]),
      );
    }
    return info;
  }

  async #check(token: string, req: IncomingMessage): Promise<AuthInfo> {
    const verify = this.#o.verify;
    if (!verify) return this.#verifier.verify(token);
    const info = await verify(token, req);
    if (!info) throw new TokenError("token verification failed");
    if (info.expiresAt !== undefined && (info.expiresAt + this.#tolerance) * 1000 <= Date.now())
      throw new TokenError("token expired");
    if (info.resource !== undefined && !this.#resolved().audiences.has(info.resource.href))
      throw new TokenError("token not issued for this resource");
    return info;
  }

  /** `Bearer resource_metadata="…", scope="…"` plus the error parameters given. */
  #challenge(resource: string, error: Array<[string, string]> = []): string {
    const url = new URL(resource);
    return bearerChallenge([
      ["resource_metadata", `${url.origin}${metadataPathOf(url)}`],
      ["scope", this.#scopes.join(" ")],
      ...error,
    ]);
  }

  #resourceOf(path: string): string {
    const layout = this.#resolved();
    return layout.resourceOf.get(path) ?? layout.fallback;
  }

  /** Computed on first use: the default audience needs the port the server got. */
  #resolved(): Layout {
    this.#layout ??= this.#computeLayout();
    return this.#layout;
  }

  #computeLayout(): Layout {
    const first = this.#endpoints[0] ?? "/";
    const audience = this.#o.audience ?? `${this.#address.baseUrl()}${first}`;
    const url = new URL(audience);
    // An audience ending in one of our endpoints fixes the public prefix of all of them
    // (`https://h/prefix/mcp` -> `https://h/prefix/sse`); any other names the whole server.
    const matched = this.#endpoints.find((e) => e !== "/" && url.pathname.endsWith(e));
    const prefix = matched
      ? `${url.origin}${url.pathname.slice(0, url.pathname.length - matched.length)}`
      : undefined;
    const resourceOf = new Map<string, string>();
    for (const endpoint of this.#endpoints) {
      resourceOf.set(
        endpoint,
        prefix === undefined || endpoint === matched ? audience : `${prefix}${endpoint}`,
      );
    }
    // The HTTP+SSE messages path belongs to its SSE stream's resource.
    if (this.#messagesEndpoint !== null && this.#sseEndpoint !== null)
      resourceOf.set(this.#messagesEndpoint, resourceOf.get(this.#sseEndpoint) ?? audience);
    const fallback = resourceOf.get(first) ?? audience;

    const audiences = new Map<string, string>();
    const documents = new Map<string, Record<string, unknown>>();
    const documentOf = (resource: string): Record<string, unknown> => {
      const doc: Record<string, unknown> = {
        resource,
        authorization_servers: this.#issuers,
        ...(this.#scopes.length > 0 ? { scopes_supported: this.#scopes } : {}),
        bearer_methods_supported: ["header"],
        ...this.#o.resourceMetadata,
      };
      // RFC 9728 §3.3: the document must name the resource its URL was derived from.
      doc.resource = resource;
      return doc;
    };
    for (const [endpoint, resource] of resourceOf) {
      audiences.set(resource, resource);
      audiences.set(new URL(resource).href, resource);
      if (endpoint === this.#messagesEndpoint) continue;
      const doc = documentOf(resource);
      // Where the resource URL says (a TLS terminator may keep a path prefix), and under our own path.
      documents.set(metadataPathOf(new URL(resource)), doc);
      documents.set(`${PROTECTED_RESOURCE_METADATA_PATH}${endpoint}`, doc);
    }
    // Clients of 2025-03-26 look at the root only.
    if (!documents.has(PROTECTED_RESOURCE_METADATA_PATH))
      documents.set(PROTECTED_RESOURCE_METADATA_PATH, documentOf(fallback));
    return { resourceOf, fallback, audiences, documents };
  }
}
