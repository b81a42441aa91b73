// Authentication of every request except /ping, /health and preflight: the API
// key (constant-time) and the pluggable authenticate hook. Runs before any
// session or upstream is touched.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { AuthenticateResult, StartHTTPServerOptions } from "./options.js";

/** A 401 that carries whether the client used a bearer token (for WWW-Authenticate). */
export class UnauthorizedError extends McpProxyError {
  override readonly name = "UnauthorizedError";
  readonly bearer: boolean;
  constructor(message: string, bearer: boolean) {
    super(ErrorCodes.UNAUTHORIZED, message);
    this.bearer = bearer;
  }
}

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

/** Compares through fixed-length digests so neither content nor length leaks through timing. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1]?.trim();
}

export type Authenticator = (req: IncomingMessage) => Promise<AuthInfo | undefined>;

function toAuthInfo(result: AuthenticateResult): AuthInfo | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  if ("authenticated" in result) return result.authenticated ? result.authInfo : undefined;
  return result;
}

export function createAuthenticator(options: StartHTTPServerOptions): Authenticator | undefined {
  const { apiKey, authenticate } = options;
  if (apiKey === undefined && authenticate === undefined) return undefined;
  return async (req) => {
    const bearer = bearerToken(req);
    let authInfo: AuthInfo | undefined;
    if (apiKey !== undefined) {
      const header = req.headers["x-api-key"];
      const presented = typeof header === "string" ? header : bearer;
      if (presented === undefined || !safeEqual(presented, apiKey)) {
        throw new UnauthorizedError(
          "Unauthorized: invalid or missing API key",
          bearer !== undefined,
        );
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
        throw new UnauthorizedError("Unauthorized: authentication failed", bearer !== undefined);
      }
      if (
        !result ||
        (typeof result === "object" && "authenticated" in result && !result.authenticated)
      ) {
        const detail =
          typeof result === "object" && result && "error" in result && result.error
            ? result.error
            : "authentication failed";
        throw new UnauthorizedError(`Unauthorized: ${detail}`, bearer !== undefined);
      }
      authInfo = toAuthInfo(result) ?? authInfo;
    }
    return authInfo;
  };
}
