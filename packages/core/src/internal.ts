// "@mcp-proxy/core/internal": what the sibling packages share beyond core's
// documented surface (the 2025-client -> 2026-server translation stdio-client
// builds on, http-server's protocol checks and large-result fast path, the
// line framing of stdio-client's stdio side, the defaults the CLI shows). No
// semver promise: it changes with them.

// The 2025-client -> 2026-server direction (LegacyClientAdapter's parts).
export type {
  LegacyClientActions,
  LegacyNotificationStep,
  LegacyRequestStep,
} from "./adapter/client-state.js";
export { LegacyClientState } from "./adapter/client-state.js";
export type { LegacyInputAskerOptions } from "./adapter/input-asker.js";
export { LegacyInputAsker, LegacyInputError } from "./adapter/input-asker.js";
export type { ModernCallAnswer, ModernCallOptions } from "./adapter/modern-call.js";
export { DEFAULT_MAX_INPUT_ROUNDS, runModernCall } from "./adapter/modern-call.js";
export type { LegacyClient } from "./adapter/translate.js";
export {
  initializeResultFromDiscover,
  inputRequestsOf,
  legacyClientOf,
  legacyResult,
  listChangedFor,
  listenFilterFor,
  modernRequestFor,
  retryParamsFor,
  sharedModernVersion,
  subscriptionIdOf,
  untaggedNotification,
} from "./adapter/translate.js";
export { DEFAULT_MAX_LINE_LENGTH } from "./child-process.js";
// The 2026-client -> 2025-server direction (ModernGateway's defaults).
export {
  DEFAULT_INITIALIZE_TIMEOUT_MS,
  DEFAULT_MAX_UPSTREAMS,
} from "./gateway/gateway-options.js";
export { JSON_TEXT, jsonTextOf, LARGE_JSON_TEXT, recordJsonText } from "./json-text.js";
export type { LineSplitterOptions } from "./line-splitter.js";
export { LineSplitter } from "./line-splitter.js";
export { isLoopbackHost } from "./loopback.js";
// Protocol facts both directions and both transports read.
export { INPUT_KEY_META } from "./protocol/mrtr.js";
export { DEFAULT_UPSTREAM_PROTOCOL, metaProtocolVersion } from "./protocol/versions.js";
export { soleMatch } from "./sole-match.js";
export { answerUnattributed } from "./unattributed.js";
