// Multi round-trip requests (MRTR) as both directions read them: which
// server->client requests travel as `inputRequests`, which client requests may
// end in `input_required`, what a client must have declared for each, and the
// `_meta` hint that names an input's key.
// Spec: basic/patterns/mrtr.mdx.

/** Server->client requests that MRTR carries as `inputRequests`. */
export const INPUT_METHODS: ReadonlySet<string> = new Set([
  "sampling/createMessage",
  "elicitation/create",
  "roots/list",
]);

/** Client requests that may end in `input_required` (and so may trigger server->client requests). */
export const INPUT_CAPABLE_METHODS: ReadonlySet<string> = new Set([
  "tools/call",
  "prompts/get",
  "resources/read",
]);

/**
 * The capability a modern client must have declared (in its request's
 * `_meta` clientCapabilities) for the upstream's request, or undefined when
 * it has it. MRTR: servers MUST NOT send inputRequests the client did not declare.
 */
export function missingCapability(
  method: string,
  params: Record<string, unknown> | undefined,
  capabilities: Record<string, unknown>,
): string | undefined {
  const has = (key: string) => {
    const v = capabilities[key];
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : undefined;
  };
  if (method === "roots/list") return has("roots") ? undefined : "roots";
  if (method === "sampling/createMessage") {
    const sampling = has("sampling");
    if (!sampling) return "sampling";
    if ((params?.tools !== undefined || params?.toolChoice !== undefined) && !sampling.tools) {
      return "sampling.tools";
    }
    return undefined;
  }
  if (method === "elicitation/create") {
    const elicitation = has("elicitation");
    if (!elicitation) return "elicitation";
    // An empty elicitation object means form mode only.
    if (params?.mode === "url" && !elicitation.url) return "elicitation.url";
    if (params?.mode !== "url" && Object.keys(elicitation).length > 0 && !elicitation.form) {
      return "elicitation.form";
    }
    return undefined;
  }
  return method;
}

/**
 * `_meta` key a 2025-era server may put on a server->client request to name
 * its inputRequests key (a legacy request has no way to say it otherwise);
 * removed before the request reaches the client.
 */
export const INPUT_KEY_META = "mcp-proxy/inputKey";

/** The inputRequests key for an upstream request (its INPUT_KEY_META hint when usable) and its params without the hint. */
export function inputKeyOf(
  params: Record<string, unknown> | undefined,
  taken: ReadonlyMap<string, unknown>,
  n: number,
): { key: string; params: Record<string, unknown> | undefined } {
  const meta = params?._meta as Record<string, unknown> | undefined;
  const hint = meta?.[INPUT_KEY_META];
  if (!params || !meta || hint === undefined) return { key: `input-${n}`, params };
  const { [INPUT_KEY_META]: _, ...restMeta } = meta;
  const { _meta: __, ...rest } = params;
  const cleaned = Object.keys(restMeta).length > 0 ? { ...rest, _meta: restMeta } : rest;
  const key = typeof hint === "string" && hint !== "" && !taken.has(hint) ? hint : `input-${n}`;
  return { key, params: cleaned };
}

/** `requiredCapabilities` for a missing capability path such as "elicitation.url". */
export function requiredCapabilities(missing: string): Record<string, unknown> {
  const [head, sub] = missing.split(".") as [string, string | undefined];
  return { [head]: sub ? { [sub]: {} } : {} };
}
