// "@mcp-proxy/core/internal": what the sibling packages share beyond core's
// documented surface (stdio-client's 2026-07-28 translation, http-server's
// large-result fast path). No semver promise: it changes with them.
export { JSON_TEXT, jsonTextOf, LARGE_JSON_TEXT, recordJsonText } from "./json-text.js";
export type { LegacyInputAskerOptions } from "./modern/legacy-adapter-inputs.js";
export { LegacyInputAsker, LegacyInputError } from "./modern/legacy-adapter-inputs.js";
export type { LegacyClient } from "./modern/legacy-adapter-translate.js";
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
} from "./modern/legacy-adapter-translate.js";
export type {
  LegacyNotificationStep,
  LegacyRequestStep,
} from "./modern/legacy-client-state.js";
export { LegacyClientState } from "./modern/legacy-client-state.js";
export { soleMatch } from "./sole-match.js";
export { answerUnattributed } from "./unattributed.js";
