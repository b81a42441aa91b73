// Who a stateful session belongs to. A 2025-era Streamable HTTP session or an
// HTTP+SSE session is bound to the principal whose credentials created it;
// a request from anyone else that names it is answered as if it did not exist.
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";

/**
 * The principal of a request: its `AuthInfo`'s issuer and subject (`extra.iss`, `extra.sub`, when
 * they are strings; OAuth tokens always set them) and `clientId`. Two tokens of one user and one
 * client (a refreshed token) are the same principal; another user, or the same user through
 * another client, is not. Without auth (no `AuthInfo`) there is no principal and nothing is bound;
 * an API key makes every holder one principal (`clientId: "api-key"`).
 */
export function principalOf(authInfo: AuthInfo | undefined): string | undefined {
  if (!authInfo) return undefined;
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  return JSON.stringify([text(authInfo.extra?.iss), text(authInfo.extra?.sub), authInfo.clientId]);
}

/** Keyed by the session object, so a session that is gone takes its owner with it. */
const owners = new WeakMap<object, string | undefined>();

/** Records that `session` belongs to the principal of `authInfo` (the creating request's). */
export function bindSession(session: object, authInfo: AuthInfo | undefined): void {
  owners.set(session, principalOf(authInfo));
}

/** Whether a request with `authInfo` may use `session`. */
export function mayUseSession(session: object, authInfo: AuthInfo | undefined): boolean {
  return owners.get(session) === principalOf(authInfo);
}
