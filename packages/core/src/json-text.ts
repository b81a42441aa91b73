// The JSON text a message arrived as, when its producer kept it: a stdio
// upstream's line is already the message's JSON, so a response relayed
// unchanged can be written as those bytes instead of serialised again (for a
// large result, re-serialising costs more than everything else we do to it).
//
// The contract, keyed by a registered symbol: a producer (ChildProcessTransport
// does, for lines of LARGE_JSON_TEXT characters or more) may define
// `message[JSON_TEXT] = line` as a non-enumerable property on the object it
// parsed from `line`, and must not change that object afterwards. Spreads and
// structured clones drop the property, so a rewritten copy never carries stale
// text; code that changes a message in place (id remapping in stateless mode,
// the modern gateway) simply does not pass the text on. Only http-server's
// stateful session, which relays upstream responses untouched, reads it.

/** The registered symbol a producer keys a message's JSON text with. */
export const JSON_TEXT: unique symbol = Symbol.for("@mcp-proxy/json-text");

/** The JSON text `message` was parsed from, when its producer recorded it. */
export function jsonTextOf(message: object): string | undefined {
  const text = (message as { [JSON_TEXT]?: unknown })[JSON_TEXT];
  return typeof text === "string" ? text : undefined;
}

/**
 * Below this many characters a message is cheap to serialise again, and an
 * extra property on every small message costs more than it saves.
 */
export const LARGE_JSON_TEXT = 16_384;

/** Records `text` as the JSON `message` was parsed from (see the contract above). */
export function recordJsonText(message: object, text: string): void {
  Object.defineProperty(message, JSON_TEXT, { value: text, enumerable: false });
}
