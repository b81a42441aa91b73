// The Bearer challenges of 401 and 403 answers (RFC 6750 §3, RFC 9728 §5.1)
// and where a resource's protected resource metadata lives (RFC 9728 §3.1).
import type { ReferenceOAuthOptions } from "./oauth-options.js";

/** The well-known path of RFC 9728 protected resource metadata (§3). */
export const PROTECTED_RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

/**
 * The path under which a resource's metadata is found: the well-known segment goes between the
 * host and the resource's path (RFC 9728 §3.1), so `https://h/mcp` has `/.well-known/oauth-protected-resource/mcp`.
 */
export function metadataPathOf(resource: URL): string {
  return resource.pathname === "/"
    ? PROTECTED_RESOURCE_METADATA_PATH
    : `${PROTECTED_RESOURCE_METADATA_PATH}${resource.pathname}`;
}

/** The URL of a resource's metadata document; a value that is no URL is appended to (the reference package's fallback). */
export function metadataUrlOf(resource: string): string {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    return `${resource}${PROTECTED_RESOURCE_METADATA_PATH}`;
  }
  return `${url.origin}${metadataPathOf(url)}`;
}

/**
 * An RFC 9110 quoted-string: backslash and quote escaped, control characters (which Node
 * refuses in a header, and which could split one) turned into spaces.
 */
function quoted(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return `"${value.replace(/[\u0000-\u001f\u007f]/g, " ").replace(/["\\]/g, "\\$&")}"`;
}

/** `Bearer k="v", …` from the defined parameters in order; a bare `Bearer` without any. */
export function bearerChallenge(params: ReadonlyArray<[string, string | undefined]>): string {
  const parts = params
    .filter((p): p is [string, string] => p[1] !== undefined && p[1] !== "")
    .map(([name, value]) => `${name}=${quoted(value)}`);
  return parts.length === 0 ? "Bearer" : `Bearer ${parts.join(", ")}`;
}

/**
 * The challenge of a 401 under the reference package's `oauth` option (challenge fields only; the
 * API key or `authenticate` does the checking): its realm, resource metadata URL, error, error
 * description, error URI and scope. A client that sent a bearer token learns it was refused
 * (`invalid_token` with the reason); one that sent none gets the configured `error`, if any.
 */
export function referenceChallenge(
  oauth: ReferenceOAuthOptions,
  failure: { bearer: boolean; message: string },
): string {
  const resource = oauth.protectedResource?.resource;
  return bearerChallenge([
    ["realm", oauth.realm],
    ["resource_metadata", resource ? metadataUrlOf(resource) : undefined],
    ["error", failure.bearer ? "invalid_token" : oauth.error],
    ["error_description", failure.bearer ? failure.message : oauth.error_description],
    ["error_uri", oauth.error_uri],
    ["scope", oauth.scope],
  ]);
}
