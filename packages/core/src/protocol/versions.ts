// Protocol eras and the per-request `_meta` keys of MCP 2026-07-28, plus the
// cheap classification of an incoming message into the era it speaks.
// Spec: docs/specification/2026-07-28/basic/versioning.mdx and basic/index.mdx#_meta.

/** Handshake-based revisions (initialize + sessions), oldest first. */
export const LEGACY_PROTOCOL_VERSIONS = [
  "2024-11-05",
  "2025-03-26",
  "2025-06-18",
  "2025-11-25",
] as const;

/** Stateless revisions (per-request `_meta`), oldest first. */
export const MODERN_PROTOCOL_VERSIONS = ["2026-07-28"] as const;

/** The newest legacy revision: what the gateway offers in its own `initialize`. */
export const LATEST_LEGACY_PROTOCOL_VERSION = "2025-11-25";
/** The newest modern revision: what the gateway speaks when probing with `server/discover`. */
export const LATEST_MODERN_PROTOCOL_VERSION = "2026-07-28";

/** Reserved `_meta` keys of 2026-07-28. */
export const META = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  logLevel: "io.modelcontextprotocol/logLevel",
  serverInfo: "io.modelcontextprotocol/serverInfo",
  subscriptionId: "io.modelcontextprotocol/subscriptionId",
} as const;

/**
 * The request-side `_meta` keys stripped before a request reaches a 2025-era
 * upstream: the protocol version (a dual-era server must not mistake the
 * translated request for a modern one), client info and log level (the
 * gateway filters logs itself). `clientCapabilities` is kept on purpose: it
 * is harmless to a 2025 server and lets one that reads it ask only for the
 * input the client declared (MRTR).
 */
export const MODERN_REQUEST_META_KEYS: readonly string[] = [
  META.protocolVersion,
  META.clientInfo,
  META.logLevel,
];

/**
 * A protocol era, named as the SDK v2 names it: "legacy" for the handshake
 * revisions (initialize and sessions, 2024-11-05 to 2025-11-25), "modern" for
 * the stateless ones (per-request `_meta`, 2026-07-28 on).
 */
export type ProtocolEra = "legacy" | "modern";

/** The era to speak to an upstream: one of them, or "auto" to probe with `server/discover`. */
export type ProtocolEraOption = ProtocolEra | "auto";

/** An upstream speaks the 2025 handshake unless told otherwise. */
export const DEFAULT_UPSTREAM_PROTOCOL: ProtocolEraOption = "legacy";

/**
 * How long the `server/discover` probe of an upstream transport (a local
 * process, an in-process server) may take before the upstream counts as legacy, ms.
 */
export const DEFAULT_UPSTREAM_PROBE_TIMEOUT_MS = 5_000;

/** Header bag as Node gives it: lower-cased names, repeated headers as arrays. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

const LEGACY_SET: ReadonlySet<string> = new Set(LEGACY_PROTOCOL_VERSIONS);
const MODERN_SET: ReadonlySet<string> = new Set(MODERN_PROTOCOL_VERSIONS);

export const isLegacyProtocolVersion = (v: unknown): boolean =>
  typeof v === "string" && LEGACY_SET.has(v);
export const isModernProtocolVersion = (v: unknown): boolean =>
  typeof v === "string" && MODERN_SET.has(v);

/** The `params._meta` object of a message, if it has one. */
export function requestMeta(message: unknown): Record<string, unknown> | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const params = (message as { params?: unknown }).params;
  if (typeof params !== "object" || params === null) return undefined;
  const meta = (params as { _meta?: unknown })._meta;
  return typeof meta === "object" && meta !== null && !Array.isArray(meta)
    ? (meta as Record<string, unknown>)
    : undefined;
}

/** The `_meta` protocol version a modern request declares, if any. */
export function metaProtocolVersion(message: unknown): string | undefined {
  const v = requestMeta(message)?.[META.protocolVersion];
  return typeof v === "string" ? v : undefined;
}

/** First value of a header (repeated headers count as their first value here). */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : (v as string | undefined);
}

/**
 * Classifies one POSTed message by the era it speaks, in this order:
 * an `initialize` request is legacy; a `_meta` protocol version is modern (a
 * stale `Mcp-Session-Id` on a modern request is ignored, as the spec asks);
 * an `Mcp-Session-Id` header is legacy; otherwise the `MCP-Protocol-Version`
 * header decides when it names a known revision; anything else is "unknown"
 * (the caller applies its legacy rules, e.g. 400 for a missing session).
 */
export function classifyEra(body: unknown, headers: HeaderBag = {}): ProtocolEra | "unknown" {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "unknown";
  if ((body as { method?: unknown }).method === "initialize") return "legacy";
  if (metaProtocolVersion(body) !== undefined) return "modern";
  if (headerValue(headers, "mcp-session-id") !== undefined) return "legacy";
  const version = headerValue(headers, "mcp-protocol-version");
  if (isModernProtocolVersion(version)) return "modern";
  if (isLegacyProtocolVersion(version)) return "legacy";
  return "unknown";
}
