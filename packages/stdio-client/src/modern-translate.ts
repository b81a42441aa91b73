// Pure translation between a 2025-era local client and a 2026-07-28 remote
// server. The rules live in core (shared with its LegacyClientAdapter); this
// module keeps the names the HTTP client uses.
// Spec: docs/specification/2026-07-28/basic/index.mdx#_meta, server/discover, changelog.
export {
  initializeResultFromDiscover as initializeResult,
  type LegacyClient as LocalClient,
  legacyClientOf as localClientOf,
  legacyResult,
  modernRequestFor as modernRequest,
  sharedModernVersion,
  untaggedNotification as untagged,
} from "@mcp-proxy/core/internal";
