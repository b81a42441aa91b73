// Finds out whether the remote server speaks MCP 2026-07-28: one
// `server/discover` POST in the local client's name. Both local eras use it,
// once per process, as the spec recommends for an origin.
// Spec: docs/specification/2026-07-28/basic/transports/streamable-http.mdx#backward-compatibility
import {
  ErrorCodes,
  isLegacyProtocolVersion,
  JsonRpcErrorCodes,
  McpProxyError,
} from "@mcp-proxy/core";
import { type LegacyClient, modernRequestFor, sharedModernVersion } from "@mcp-proxy/core/internal";
import { type ModernHttp, modernPost } from "./modern-post.js";
import { AuthorizationError } from "./oauth-flow.js";

/**
 * How long the `server/discover` probe of a remote server may take before it counts as
 * legacy, ms. (Core's DEFAULT_UPSTREAM_PROBE_TIMEOUT_MS is the probe of a local upstream.)
 */
export const DEFAULT_REMOTE_PROBE_TIMEOUT_MS = 10_000;

export type ProbeOutcome =
  | { era: "modern"; discover: Record<string, unknown>; version: string }
  | { era: "legacy"; reason: string }
  /** A modern server that refused us: falling back to initialize would only fail less clearly. */
  | { era: "refused"; reason: string }
  /** The OAuth authorization the probe ran failed: the client's request fails with it. */
  | { era: "failed"; error: McpProxyError };

/** Modern errors that name a modern server (HeaderMismatch, MissingRequiredClientCapability). */
const MODERN_REFUSALS: ReadonlySet<number> = new Set([-32020, -32021]);

/**
 * POSTs `server/discover` with the client's identity. A result listing a
 * version we speak is modern; a modern refusal is `refused`; everything else
 * (a 2025 server's 400/404 for a request without a session, a -32601, a
 * -32022 that also lists 2025 versions, a timeout, a network failure the 2025
 * path will report itself) is legacy.
 */
export async function probeRemote(
  http: ModernHttp,
  client: LegacyClient,
  signal: AbortSignal,
): Promise<ProbeOutcome> {
  const request = modernRequestFor(
    "mcp-proxy-discover",
    "server/discover",
    undefined,
    client,
    undefined,
  );
  try {
    // The time limit is per exchange: a login between a 401 and the retry is not the probe's.
    const answer = await modernPost(http, request, {
      signal,
      attemptTimeout: DEFAULT_REMOTE_PROBE_TIMEOUT_MS,
    });
    if (answer.kind === "error") {
      const { code, message, data } = answer.error;
      const reason = `server/discover answered HTTP ${answer.status} with error ${code} (${message})`;
      if (MODERN_REFUSALS.has(code)) return { era: "refused", reason };
      if (code === JsonRpcErrorCodes.UNSUPPORTED_PROTOCOL_VERSION) {
        // A dual-era server lists its 2025 versions too: the handshake will work.
        const supported = (data as { supported?: unknown } | undefined)?.supported;
        const legacy = Array.isArray(supported) && supported.some(isLegacyProtocolVersion);
        if (!legacy)
          return { era: "refused", reason: `${reason}; it supports ${JSON.stringify(supported)}` };
      }
      return { era: "legacy", reason };
    }
    const version = sharedModernVersion(answer.result);
    if (version === undefined) {
      return {
        era: "legacy",
        reason: `server/discover lists ${JSON.stringify(answer.result.supportedVersions)}`,
      };
    }
    return { era: "modern", discover: answer.result, version };
  } catch (error) {
    // With OAuth, a 401 here ran the authorization: its failure would only repeat on initialize
    // (a second login). Without OAuth, a 401 may be a 2025 server refusing a sessionless request.
    const refused =
      error instanceof AuthorizationError ||
      (error instanceof McpProxyError && error.code === ErrorCodes.UNAUTHORIZED);
    if (http.options.authProvider !== undefined && refused && !signal.aborted)
      return { era: "failed", error };
    return { era: "legacy", reason: error instanceof Error ? error.message : String(error) };
  }
}
