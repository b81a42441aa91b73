export type { FormatterOptions } from "./formatters.js";
export {
  createHumanFormatter,
  createJsonLinesFormatter,
  DEFAULT_MAX_PREVIEW_LENGTH,
} from "./formatters.js";
export { DEFAULT_REDACT_KEYS, redact } from "./redact.js";
export type { TapEvent } from "./tap-transport.js";
export { tapTransport } from "./tap-transport.js";
