// Pure translation for a 2025-era client in front of a 2026-07-28 server: the
// client's initialize answered from server/discover, modern requests built
// with the per-request `_meta`, modern-only result fields removed, listen
// notifications untagged, and the MRTR retry assembled. Shared by the
// LegacyClientAdapter (any Transport) and stdio-client (HTTP).
// Spec: docs/specification/2026-07-28/basic/index.mdx#_meta, server/discover,
// basic/patterns/mrtr.mdx, changelog.
import type {
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import {
  isLegacyProtocolVersion,
  LATEST_LEGACY_PROTOCOL_VERSION,
  LATEST_MODERN_PROTOCOL_VERSION,
  META,
  MODERN_PROTOCOL_VERSIONS,
} from "../protocol/versions.js";

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

/** What a 2025-era client said in its `initialize`, repeated on every modern request. */
export interface LegacyClient {
  protocolVersion: string | undefined;
  clientInfo: unknown;
  capabilities: Params;
}

/** Reads the 2025-era client's identity from its `initialize` params. */
export function legacyClientOf(initialize: JSONRPCRequest): LegacyClient {
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
 * The answer to a 2025-era `initialize`, made from a discover result: the
 * version the client asked for when it is a legacy one we know (else our
 * newest), the server's capabilities, serverInfo from the result `_meta`.
 */
export function initializeResultFromDiscover(discover: Params, client: LegacyClient): Params {
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
export function modernRequestFor(
  id: RequestId,
  method: string,
  params: Params | undefined,
  client: LegacyClient | undefined,
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

/** The subscription id a listen-stream notification is tagged with, if any. */
export function subscriptionIdOf(notification: JSONRPCNotification): unknown {
  const meta = (notification.params as Params | undefined)?._meta as Params | undefined;
  return meta?.[META.subscriptionId];
}

/** A listen-stream notification without the subscription tag a 2025 client does not know. */
export function untaggedNotification(notification: JSONRPCNotification): JSONRPCNotification {
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

/**
 * What a 2025-era client's listen stream asks for: the list changes the
 * server offers (per its discover capabilities) and the subscribed resources;
 * undefined when there is nothing to listen for.
 */
export function listenFilterFor(
  capabilities: Params | undefined,
  resourceSubscriptions: Iterable<string>,
): Params | undefined {
  const caps = (capabilities ?? {}) as Record<string, Params | undefined>;
  const filter: Params = {};
  if (caps.tools?.listChanged) filter.toolsListChanged = true;
  if (caps.prompts?.listChanged) filter.promptsListChanged = true;
  if (caps.resources?.listChanged) filter.resourcesListChanged = true;
  const uris = [...resourceSubscriptions];
  if (uris.length > 0) filter.resourceSubscriptions = uris;
  return Object.keys(filter).length > 0 ? filter : undefined;
}

/** The list_changed notifications a filter opted into (sent after a listen gap, so clients refetch). */
export function listChangedFor(filter: Params): JSONRPCNotification[] {
  const kinds: [string, string][] = [
    ["toolsListChanged", "notifications/tools/list_changed"],
    ["promptsListChanged", "notifications/prompts/list_changed"],
    ["resourcesListChanged", "notifications/resources/list_changed"],
  ];
  return kinds
    .filter(([flag]) => filter[flag] === true)
    .map(([, method]) => ({ jsonrpc: "2.0", method }));
}

/** The `inputRequests` of an input_required result, as [key, request] pairs. */
export function inputRequestsOf(result: Params): Array<[string, Params]> {
  const requests = result.inputRequests;
  if (typeof requests !== "object" || requests === null) return [];
  return Object.entries(requests as Params).map(([key, value]) => [key, value as Params]);
}

/**
 * The MRTR retry: the original params plus `inputResponses` (by the keys of
 * the input requests) and the `requestState` exactly as received.
 */
export function retryParamsFor(
  base: Params | undefined,
  result: Params,
  responses: Params | undefined,
): Params {
  const next: Params = { ...(base ?? {}) };
  delete next.inputResponses;
  delete next.requestState;
  if (responses !== undefined) next.inputResponses = responses;
  if (typeof result.requestState === "string") next.requestState = result.requestState;
  return next;
}
