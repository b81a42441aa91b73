// The JSON text a message arrived as, when its producer kept it: a stdio
// upstream's line is already the message's JSON, so a response relayed
// unchanged can be written as those bytes instead of serialised again (for a
// large result, re-serialising costs more than everything else we do to it).
//
// The contract, keyed by a registered symbol so that no package has to import
// another for it: a producer (core's ChildProcessTransport, say) may define
// `message[JSON_TEXT] = line` as a non-enumerable property on the object it
// parsed from `line`, and must not change that object afterwards. Spreads and
// structured clones drop the property, so a rewritten copy never carries stale
// text; code that changes a message in place (id remapping in stateless mode,
// the modern gateway) simply does not pass the text on. Only the stateful
// session, which relays upstream responses untouched, reads it.

/** The registered symbol a producer keys a message's JSON text with. */
export const JSON_TEXT: unique symbol = Symbol.for("@mcp-proxy/json-text");

/** The JSON text `message` was parsed from, when its producer recorded it. */
export function jsonTextOf(message: object): string | undefined {
  const text = (message as { [JSON_TEXT]?: unknown })[JSON_TEXT];
  return typeof text === "string" ? text : undefined;
}
