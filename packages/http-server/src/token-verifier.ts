// Checks the access tokens an OAuth resource server is given: JWTs against the
// keys of their issuer (found through RFC 8414 or OpenID discovery, fetched and
// cached by jose), opaque tokens through RFC 7662 introspection when it is
// configured. Every signature and claim check is jose's; none is written here.
import { ErrorCodes, type Logger, McpProxyError } from "@mcp-proxy/core";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import {
  createRemoteJWKSet,
  decodeJwt,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from "jose";

/** A token that is not valid here: 401 `invalid_token`, with the message as `error_description`. */
export class TokenError extends Error {
  override readonly name = "TokenError";
}

/**
 * Only asymmetric algorithms: a resource server holds no secret shared with the authorization
 * server, and `none` or an HMAC keyed with a public key are the classic forgeries (RFC 8725 §3.1).
 */
export const ACCEPTED_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

/** Bound of every request to the authorization server (metadata, keys, introspection). */
export const AUTH_SERVER_TIMEOUT_MS = 5000;
/** After failed discovery, requests wait this long before it is tried again (503 meanwhile). */
export const DISCOVERY_RETRY_MS = 5000;

export interface IntrospectionSettings {
  endpoint?: string;
  clientId: string;
  clientSecret: string;
}

export interface VerifierSettings {
  issuers: readonly string[];
  /** The `aud` values accepted, each mapped to the resource it names. */
  audiences: () => ReadonlyMap<string, string>;
  clockTolerance: number;
  jwksCooldown: number;
  introspection?: IntrospectionSettings;
  logger: Logger;
}

interface ServerMetadata {
  issuer: string;
  jwks_uri?: unknown;
  introspection_endpoint?: unknown;
}

const unavailable = (message: string, cause?: unknown) =>
  new McpProxyError(ErrorCodes.AUTH_UNAVAILABLE, `Service Unavailable: ${message}`, { cause });

/** Issuer identifiers compared as RFC 8414 §3.3 asks, forgiving only a trailing slash. */
const sameIssuer = (a: string, b: string): boolean =>
  a === b || a.replace(/\/$/, "") === b.replace(/\/$/, "");

/**
 * Where an issuer's metadata may be, in the order the MCP authorization spec has clients try
 * them: RFC 8414 with the issuer's path after the well-known segment, then OpenID Connect
 * Discovery with the path inserted, then appended.
 */
export function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, "");
  if (path === "") {
    return [
      `${url.origin}/.well-known/oauth-authorization-server`,
      `${url.origin}/.well-known/openid-configuration`,
    ];
  }
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
}

/** One authorization server: its metadata (found once) and its key set (jose's cache). */
class Issuer {
  readonly id: string;
  readonly #cooldown: number;
  #metadata: Promise<ServerMetadata> | undefined;
  #failedAt: number | undefined;
  #keys: JWTVerifyGetKey | undefined;

  constructor(id: string, cooldown: number) {
    this.id = id;
    this.#cooldown = cooldown;
  }

  /** The metadata; a failure is remembered for DISCOVERY_RETRY_MS so an outage costs one fetch, not one per request. */
  metadata(): Promise<ServerMetadata> {
    const retry = this.#failedAt !== undefined && Date.now() - this.#failedAt >= DISCOVERY_RETRY_MS;
    if (this.#metadata === undefined || retry) {
      this.#failedAt = undefined;
      this.#metadata = discover(this.id).catch((error: unknown) => {
        this.#failedAt = Date.now();
        throw error;
      });
    }
    return this.#metadata;
  }

  /**
   * The key lookup jwtVerify uses. jose caches the set, refetches it when a token names a key it
   * lacks (at most once per cooldown: tokens with made-up key ids cannot make us hammer the
   * authorization server) and when it is older than 10 minutes. A failure to fetch is ours (503),
   * not the token's.
   */
  async keys(): Promise<JWTVerifyGetKey> {
    if (this.#keys) return this.#keys;
    const metadata = await this.metadata();
    if (typeof metadata.jwks_uri !== "string")
      throw unavailable(`the authorization server ${this.id} publishes no jwks_uri`);
    const remote = createRemoteJWKSet(new URL(metadata.jwks_uri), {
      cooldownDuration: this.#cooldown,
      timeoutDuration: AUTH_SERVER_TIMEOUT_MS,
    });
    this.#keys = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (
          error instanceof errors.JWKSNoMatchingKey ||
          error instanceof errors.JWKSMultipleMatchingKeys ||
          error instanceof errors.JOSENotSupported
        )
          throw error;
        throw unavailable(`the keys of ${this.id} could not be fetched`, error);
      }
    };
    return this.#keys;
  }
}

async function fetchJson(url: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(url, {
    ...init,
    headers: { Accept: "application/json", ...init.headers },
    signal: AbortSignal.timeout(AUTH_SERVER_TIMEOUT_MS),
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  return res.json();
}

async function discover(issuer: string): Promise<ServerMetadata> {
  const problems: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    try {
      const doc = (await fetchJson(url)) as Partial<ServerMetadata> | null;
      if (typeof doc?.issuer !== "string") throw new Error("no issuer in the document");
      // RFC 8414 §3.3: metadata naming another issuer must not be used.
      if (!sameIssuer(doc.issuer, issuer)) throw new Error(`names the issuer ${doc.issuer}`);
      return doc as ServerMetadata;
    } catch (error) {
      problems.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw unavailable(
    `the metadata of the authorization server ${issuer} could not be fetched`,
    new Error(problems.join("; ")),
  );
}

/** The claims of a checked token turned into the SDK's AuthInfo. */
function authInfoOf(
  token: string,
  claims: JWTPayload,
  issuer: string,
  resource: string | undefined,
): AuthInfo {
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  const words = (value: unknown): string[] =>
    typeof value === "string"
      ? value.split(" ").filter((s) => s !== "")
      : Array.isArray(value)
        ? value.filter((s): s is string => typeof s === "string")
        : [];
  const info: AuthInfo = {
    token,
    // RFC 9068 names it client_id; OpenID providers (Keycloak, Entra ID) say azp.
    clientId: text(claims.client_id) ?? text(claims.azp) ?? "",
    // RFC 8693 `scope` (space-separated), or the `scp` array some providers send.
    scopes: claims.scope !== undefined ? words(claims.scope) : words(claims.scp),
    extra: { iss: text(claims.iss) ?? issuer, sub: text(claims.sub), claims },
  };
  if (typeof claims.exp === "number") info.expiresAt = claims.exp;
  if (resource !== undefined) info.resource = new URL(resource);
  return info;
}

export class TokenVerifier {
  readonly #s: VerifierSettings;
  readonly #issuers: Issuer[];

  constructor(settings: VerifierSettings) {
    this.#s = settings;
    this.#issuers = settings.issuers.map((id) => new Issuer(id, settings.jwksCooldown));
  }

  /** Starts discovery at once, so a wrong issuer shows in the log at startup, not at the first client. */
  warmUp(): void {
    for (const issuer of this.#issuers) {
      issuer.metadata().catch((error: unknown) =>
        this.#s.logger.warn("OAuth: the authorization server is not reachable yet", {
          issuer: issuer.id,
          error: error instanceof Error ? (error.cause ?? error).toString() : String(error),
        }),
      );
    }
  }

  /** The token's AuthInfo; throws TokenError (401) or an AUTH_UNAVAILABLE McpProxyError (503). */
  async verify(token: string): Promise<AuthInfo> {
    let claims: JWTPayload | undefined;
    try {
      claims = decodeJwt(token);
    } catch {
      // Not a signed JWT: an opaque token (or garbage), for introspection to judge.
    }
    if (claims === undefined) {
      if (this.#s.introspection) return this.#introspect(token, this.#s.introspection);
      throw new TokenError("malformed token");
    }
    const iss = claims.iss;
    // Keys are only ever fetched from configured issuers: a token cannot send us anywhere.
    const issuer = this.#issuers.find((i) => typeof iss === "string" && sameIssuer(i.id, iss));
    if (!issuer) throw new TokenError("token from an untrusted issuer");
    const metadata = await issuer.metadata();
    const keys = await issuer.keys();
    const audiences = this.#s.audiences();
    const options = {
      issuer: metadata.issuer,
      audience: [...audiences.keys()],
      clockTolerance: this.#s.clockTolerance,
      algorithms: ACCEPTED_ALGORITHMS,
      requiredClaims: ["exp"],
    };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, options));
    } catch (error) {
      if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw tokenFailure(error);
      // A token without `kid` while the set has several keys for its algorithm: jose hands over
      // the candidates, and the one that verifies it wins.
      payload = await verifyWithAny(token, error, options);
    }
    return authInfoOf(token, payload, metadata.issuer, matchedResource(payload.aud, audiences));
  }

  /** RFC 7662: the authorization server says whether the token is active, and for whom. */
  async #introspect(token: string, settings: IntrospectionSettings): Promise<AuthInfo> {
    const first = this.#issuers[0] as Issuer;
    const endpoint = settings.endpoint ?? (await first.metadata()).introspection_endpoint;
    if (typeof endpoint !== "string")
      throw unavailable(`the authorization server ${first.id} publishes no introspection_endpoint`);
    // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined.
    const basic = Buffer.from(
      `${encodeURIComponent(settings.clientId)}:${encodeURIComponent(settings.clientSecret)}`,
    ).toString("base64");
    let answer: Record<string, unknown>;
    try {
      answer = (await fetchJson(endpoint, {
        method: "POST",
        headers: {
          Authorization: `Basic ${basic}`,
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ token, token_type_hint: "access_token" }).toString(),
      })) as Record<string, unknown>;
    } catch (error) {
      throw unavailable("token introspection failed", error);
    }
    if (answer?.active !== true) throw new TokenError("token is not active");
    const iss = answer.iss;
    if (
      iss !== undefined &&
      !this.#issuers.some((i) => typeof iss === "string" && sameIssuer(i.id, iss))
    )
      throw new TokenError("token from an untrusted issuer");
    // An active token is only ours when it names this resource (MCP authorization: token audience binding).
    const audiences = this.#s.audiences();
    const resource = matchedResource(answer.aud, audiences);
    if (resource === undefined) throw new TokenError("token not issued for this resource");
    const now = Math.floor(Date.now() / 1000);
    const tolerance = this.#s.clockTolerance;
    if (typeof answer.exp === "number" && answer.exp <= now - tolerance)
      throw new TokenError("token expired");
    if (typeof answer.nbf === "number" && answer.nbf > now + tolerance)
      throw new TokenError("token not yet valid");
    return authInfoOf(token, answer as JWTPayload, first.id, resource);
  }
}

async function verifyWithAny(
  token: string,
  candidates: errors.JWKSMultipleMatchingKeys,
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  let last: unknown = candidates;
  for await (const key of candidates) {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (error) {
      last = error;
    }
  }
  throw tokenFailure(last);
}

function matchedResource(aud: unknown, audiences: ReadonlyMap<string, string>): string | undefined {
  const values = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  for (const value of values) {
    const resource = typeof value === "string" ? audiences.get(value) : undefined;
    if (resource !== undefined) return resource;
  }
  return undefined;
}

/** A jose verdict as the client may read it (no internals); key-fetch failures stay 503. */
function tokenFailure(error: unknown): Error {
  if (error instanceof McpProxyError) return error;
  if (error instanceof errors.JWTExpired) return new TokenError("token expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "aud":
        return new TokenError("token not issued for this resource");
      case "iss":
        return new TokenError("token from an untrusted issuer");
      case "nbf":
        return new TokenError("token not yet valid");
      case "exp":
        return new TokenError("token has no expiry");
      default:
        return new TokenError(`token claim "${error.claim}" is invalid`);
    }
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return new TokenError("token signed by an unknown key");
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new TokenError("token signature is invalid");
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new TokenError("token signing algorithm is not accepted");
  return new TokenError("malformed token");
}
