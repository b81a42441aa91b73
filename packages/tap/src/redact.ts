// Secret redaction for logged messages: values under sensitive keys (API keys,
// tokens, passwords, auth headers, cookies) are replaced wherever they nest.
// Keys are compared ignoring case, "-" and "_", so "apiKey", "API_KEY" and
// "api-key" are one key; exact matches only, so "progressToken" stays visible.

/** The replacement for a redacted value. */
export const REDACTED = "[REDACTED]";

/** Keys redacted by default (compared ignoring case, "-" and "_"). */
export const DEFAULT_REDACT_KEYS: readonly string[] = Object.freeze([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "api-key",
  "apiKey",
  "access_token",
  "refresh_token",
  "id_token",
  "client_secret",
  "secret",
  "password",
  "passwd",
  "token",
  "bearer",
  "private_key",
  "x-auth-token",
]);

const normalize = (key: string): string => key.toLowerCase().replace(/[-_]/g, "");

/** Tests keys against a set of sensitive names; build once, use per message. */
export function createKeyMatcher(
  keys: Iterable<string> = DEFAULT_REDACT_KEYS,
): (key: string) => boolean {
  const set = new Set<string>();
  for (const key of keys) set.add(normalize(key));
  if (set.size === 0) return () => false;
  return (key) => set.has(normalize(key));
}

const defaultMatcher = createKeyMatcher();

/**
 * Returns a deep copy of `value` with the values of sensitive keys replaced by "[REDACTED]".
 * `keys` replaces the defaults (spread `DEFAULT_REDACT_KEYS` to extend them). The input is never
 * mutated. Arrays and plain objects are copied; other objects are kept as they are.
 */
export function redact(value: unknown, keys?: Iterable<string>): unknown {
  return redactWith(value, keys === undefined ? defaultMatcher : createKeyMatcher(keys));
}

/** `redact` with a prebuilt matcher, for callers that redact many values. */
export function redactWith(value: unknown, isSecret: (key: string) => boolean): unknown {
  return copy(value, isSecret, new Set());
}

function copy(value: unknown, isSecret: (key: string) => boolean, ancestors: Set<object>): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (ancestors.has(value)) return "[Circular]";
  if (Array.isArray(value)) {
    ancestors.add(value);
    const out = value.map((item) => copy(item, isSecret, ancestors));
    ancestors.delete(value);
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  ancestors.add(value);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecret(key) ? REDACTED : copy(item, isSecret, ancestors);
  }
  ancestors.delete(value);
  return out;
}
