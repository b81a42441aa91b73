// Pure translation between a 2025-era local client and a 2026-07-28 remote
// server: the local initialize answered from server/discover, modern requests
// built with the per-request `_meta`, and modern-only fields removed from what
// goes back to the local client.
// Spec: docs/specification/2026-07-28/basic/index.mdx#_meta, server/discover, changelog.
import {
  isLegacyProtocolVersion,
  LATEST_LEGACY_PROTOCOL_VERSION,
  LATEST_MODERN_PROTOCOL_VERSION,
  META,
  MODERN_PROTOCOL_VERSIONS,
} from "@mcp-proxy/core";
import type {
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";

type Params = Record<string, unknown>;

/** Result fields that exist only in 2026-07-28 (resultType, CacheableResult hints). */
const MODERN_RESULT_FIELDS = ["resultType", "ttlMs", "cacheScope"] as const;

/** The modern version both sides speak, from a discover result's `supportedVersions`. */
export function sharedModernVersion(discover: Params): string | undefined {
  const listed = discover.supportedVersions;
  if (!Array.isArray(listed)) return undefined;
  const ours: readonly string[] = MODERN_PROTOCOL_VERSIONS;
  // Newest first: the spec asks for the highest mutually supported version.
  return [...ours].reverse().find((v) => listed.includes(v));
}

/** What the local client told us in its `initialize`, repeated on every modern request. */
export interface LocalClient {
  protocolVersion: string | undefined;
  clientInfo: unknown;
  capabilities: Params;
}

/** Reads the local client's identity from its `initialize` params. */
export function localClientOf(initialize: JSONRPCRequest): LocalClient {
  const params = (initialize.params ?? {}) as Params;
  const caps = params.capabilities;
  return {
    protocolVersion:
      typeof params.protocolVersion === "string" ? params.protocolVersion : undefined,
    clientInfo: params.clientInfo,
    capabilities: typeof caps === "object" && caps !== null ? (caps as Params) : {},
  };
}

/**
 * The answer to the local `initialize`, made from the discover result: the
 * version the local client asked for when it is a legacy one we know (else our
 * newest), the server's capabilities, serverInfo from the result `_meta`.
 */
export function initializeResult(discover: Params, client: LocalClient): Params {
  const meta = discover._meta as Params | undefined;
  const serverInfo = meta?.[META.serverInfo];
  const result: Params = {
    protocolVersion: isLegacyProtocolVersion(client.protocolVersion)
      ? client.protocolVersion
      : LATEST_LEGACY_PROTOCOL_VERSION,
    capabilities: (discover.capabilities as Params | undefined) ?? {},
    serverInfo:
      typeof serverInfo === "object" && serverInfo !== null
        ? serverInfo
        : { name: "mcp-remote", version: "0.0.0" },
  };
  if (typeof discover.instructions === "string") result.instructions = discover.instructions;
  return result;
}

/** Builds the modern request for `method`: `params` plus the reserved `_meta` keys. */
export function modernRequest(
  id: RequestId,
  method: string,
  params: Params | undefined,
  client: LocalClient | undefined,
  logLevel: string | undefined,
  version: string = LATEST_MODERN_PROTOCOL_VERSION,
): JSONRPCRequest {
  const meta: Params = { ...((params?._meta as Params | undefined) ?? {}) };
  meta[META.protocolVersion] = version;
  meta[META.clientCapabilities] = client?.capabilities ?? {};
  if (client?.clientInfo !== undefined) meta[META.clientInfo] = client.clientInfo;
  if (logLevel !== undefined) meta[META.logLevel] = logLevel;
  return { jsonrpc: "2.0", id, method, params: { ...(params ?? {}), _meta: meta } };
}

/** A modern result as a 2025-era client expects it (a shallow copy without modern-only fields). */
export function legacyResult(result: Params): Params {
  const out: Params = { ...result };
  for (const key of MODERN_RESULT_FIELDS) delete out[key];
  const meta = out._meta;
  if (typeof meta === "object" && meta !== null) {
    const { [META.serverInfo]: _, ...rest } = meta as Params;
    if (Object.keys(rest).length > 0) out._meta = rest;
    else delete out._meta;
  }
  return out;
}

/** A listen-stream notification without the subscription tag a 2025 client does not know. */
export function untagged(notification: JSONRPCNotification): JSONRPCNotification {
  const params = notification.params as Params | undefined;
  const meta = params?._meta as Params | undefined;
  if (!params || !meta || !(META.subscriptionId in meta)) return notification;
  const { [META.subscriptionId]: _, ...rest } = meta;
  const next: Params = { ...params };
  if (Object.keys(rest).length > 0) next._meta = rest;
  else delete next._meta;
  return {
    ...notification,
    params: Object.keys(next).length > 0 ? next : undefined,
  } as JSONRPCNotification;
}
