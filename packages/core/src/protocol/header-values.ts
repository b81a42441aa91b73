// Value encoding for the 2026-07-28 mirrored headers (Mcp-Name, Mcp-Param-*):
// plain when header-safe, else the Base64 sentinel `=?base64?…?=`, and the
// `x-mcp-header` annotations of a tool's inputSchema.
// Spec: basic/transports/streamable-http.mdx#value-encoding and #schema-extension.

const SENTINEL_PREFIX = "=?base64?";
const SENTINEL_SUFFIX = "?=";
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// Visible ASCII, space and tab; leading/trailing whitespace is not safe.
const SAFE = /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/;
// RFC 9110 token (tchar) for the `x-mcp-header` name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_SCHEMA_DEPTH = 16;

const isSentinel = (v: string): boolean =>
  v.length >= SENTINEL_PREFIX.length + SENTINEL_SUFFIX.length &&
  v.startsWith(SENTINEL_PREFIX) &&
  v.endsWith(SENTINEL_SUFFIX);

/** Encodes a string for a mirrored header: as-is when safe, else the Base64 sentinel. */
export function encodeHeaderValue(value: string): string {
  if (value !== "" && SAFE.test(value) && !isSentinel(value)) return value;
  return `${SENTINEL_PREFIX}${Buffer.from(value, "utf8").toString("base64")}${SENTINEL_SUFFIX}`;
}

/**
 * Decodes a mirrored header value; `undefined` when it holds invalid
 * characters or a malformed sentinel (the caller answers HeaderMismatch).
 */
export function decodeHeaderValue(raw: string): string | undefined {
  if (isSentinel(raw)) {
    const b64 = raw.slice(SENTINEL_PREFIX.length, raw.length - SENTINEL_SUFFIX.length);
    if (!BASE64.test(b64) || b64.length % 4 !== 0) return undefined;
    return Buffer.from(b64, "base64").toString("utf8");
  }
  return raw === "" || SAFE.test(raw) ? raw : undefined;
}

/** One `x-mcp-header` annotation: header `Mcp-Param-{name}` mirrors `arguments` at `path`. */
export interface McpHeaderParam {
  name: string;
  path: readonly string[];
  type: "string" | "integer" | "boolean" | undefined;
}

/**
 * Collects the `x-mcp-header` annotations statically reachable from the schema
 * root through `properties` chains only. Invalid annotations (bad token,
 * duplicate name, `number` type) are reported in `invalid` and skipped.
 */
export function mcpHeaderParams(schema: unknown): { params: McpHeaderParam[]; invalid: string[] } {
  // Schemas come from a cache and are checked on every tools/call: walk each once.
  if (typeof schema === "object" && schema !== null) {
    const cached = PARAMS_CACHE.get(schema);
    if (cached) return cached;
  }
  const found = collectParams(schema);
  if (typeof schema === "object" && schema !== null) PARAMS_CACHE.set(schema, found);
  return found;
}

const PARAMS_CACHE = new WeakMap<object, { params: McpHeaderParam[]; invalid: string[] }>();

function collectParams(schema: unknown): { params: McpHeaderParam[]; invalid: string[] } {
  const params: McpHeaderParam[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  const walk = (node: unknown, path: string[]) => {
    if (path.length > MAX_SCHEMA_DEPTH || typeof node !== "object" || node === null) return;
    const props = (node as { properties?: unknown }).properties;
    if (typeof props !== "object" || props === null) return;
    for (const [key, child] of Object.entries(props as Record<string, unknown>)) {
      if (typeof child !== "object" || child === null) continue;
      const childPath = [...path, key];
      const annotation = (child as Record<string, unknown>)["x-mcp-header"];
      if (annotation !== undefined) {
        const t = (child as { type?: unknown }).type;
        const type = t === "string" || t === "integer" || t === "boolean" ? t : undefined;
        const lower = typeof annotation === "string" ? annotation.toLowerCase() : "";
        if (
          typeof annotation !== "string" ||
          !TOKEN.test(annotation) ||
          seen.has(lower) ||
          (t !== undefined && type === undefined)
        ) {
          invalid.push(childPath.join("."));
        } else {
          seen.add(lower);
          params.push({ name: annotation, path: childPath, type });
        }
      }
      walk(child, childPath);
    }
  };
  walk(schema, []);
  return { params, invalid };
}

/** Reads the argument value at an annotation's property path. */
export function valueAtPath(args: unknown, path: readonly string[]): unknown {
  let node = args;
  for (const key of path) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The header text for an argument value, or undefined when it cannot be mirrored. */
export function headerTextFor(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return undefined;
}
