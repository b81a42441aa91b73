// Authentication of every request except /ping, /health, preflight and OAuth
// metadata: the API key (constant-time), the pluggable authenticate hook, or
// OAuth tokens (oauth.ts). Runs before any session or upstream is touched.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { referenceChallenge } from "./challenge.js";
import type { AuthenticateResult, StartHTTPServerOptions } from "./options.js";
import { UnauthorizedError } from "./refusals.js";
import { bearerToken } from "./request-info.js";

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

/** Compares through fixed-length digests so neither content nor length leaks through timing. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export type Authenticator = (req: IncomingMessage) => Promise<AuthInfo | undefined>;

function toAuthInfo(result: AuthenticateResult): AuthInfo | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  if ("authenticated" in result) return result.authenticated ? result.authInfo : undefined;
  return result;
}

/**
 * The check every request goes through: OAuth tokens when `oauth` names an issuer (`resourceServer`),
 * else the API key and/or the authenticate hook, whose 401s carry the challenge fields of the
 * reference package's `oauth` shape when it is given.
 */
export function createAuthenticator(
  options: StartHTTPServerOptions,
  resourceServer?: { authenticate: Authenticator },
): Authenticator | undefined {
  if (resourceServer) return (req) => resourceServer.authenticate(req);
  const { apiKey, authenticate } = options;
  if (apiKey === undefined && authenticate === undefined) return undefined;
  const reference = options.oauth;
  const refuse = (message: string, bearer: boolean) =>
    new UnauthorizedError(
      message,
      bearer,
      reference && !("issuer" in reference)
        ? referenceChallenge(reference, { bearer, message })
        : undefined,
    );
  return async (req) => {
    const bearer = bearerToken(req);
    let authInfo: AuthInfo | undefined;
    if (apiKey !== undefined) {
      const header = req.headers["x-api-key"];
      const presented = typeof header === "string" ? header : bearer;
      if (presented === undefined || !safeEqual(presented, apiKey)) {
        throw refuse("Unauthorized: invalid or missing API key", bearer !== undefined);
      }
      authInfo = { token: presented, clientId: "api-key", scopes: [] };
    }
    if (authenticate) {
      let result: AuthenticateResult;
      try {
        result = await authenticate(req);
      } catch {
        // An exception's text may hold internals: the client learns only that it failed
        // (`{ authenticated: false, error }` is the way to tell it why).
        throw refuse("Unauthorized: authentication failed", bearer !== undefined);
      }
      if (
        !result ||
        (typeof result === "object" && "authenticated" in result && !result.authenticated)
      ) {
        const detail =
          typeof result === "object" && result && "error" in result && result.error
            ? result.error
            : "authentication failed";
        throw refuse(`Unauthorized: ${detail}`, bearer !== undefined);
      }
      authInfo = toAuthInfo(result) ?? authInfo;
    }
    return authInfo;
  };
}
