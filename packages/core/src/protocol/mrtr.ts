// Multi round-trip requests for a 2025-era upstream: which server->client
// requests may be surfaced to a modern client, and the bounded, expiring store
// of parked exchanges named by an opaque, unguessable requestState.
// Spec: basic/patterns/mrtr.mdx.
import { randomBytes } from "node:crypto";
import { soleMatch } from "../sole-match.js";

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

/** Default cap on exchanges parked at once, across all clients. */
export const DEFAULT_MAX_PENDING_EXCHANGES = 100;
/** Default time a parked exchange waits for the client's retry. */
export const DEFAULT_PENDING_EXCHANGE_TTL_MS = 5 * 60_000;

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

/**
 * The interactive call a server->client request belongs to: the only one in
 * flight, or else the only one with a client waiting on it. A parked exchange
 * (input_required sent, no retry yet) has its upstream blocked on the inputs it
 * asked for, so while another call is live the new request is that call's; a
 * client that never retries would otherwise block attribution until its
 * exchange expires.
 */
export function attributeServerRequest<C extends { round: unknown }>(
  calls: ReadonlySet<C>,
): C | undefined {
  return soleMatch(calls) ?? soleMatch(calls, (call) => Boolean(call.round));
}

/** `requiredCapabilities` for a missing capability path such as "elicitation.url". */
export function requiredCapabilities(missing: string): Record<string, unknown> {
  const [head, sub] = missing.split(".") as [string, string | undefined];
  return { [head]: sub ? { [sub]: {} } : {} };
}

/** A fresh opaque requestState: 192 random bits, URL-safe. */
export function newRequestState(): string {
  return randomBytes(24).toString("base64url");
}

/**
 * Parked exchanges by requestState, bounded in count and lifetime. Taking an
 * exchange removes it (a requestState is single-use); expiry calls `onExpire`.
 */
export class ExchangeStore<T> {
  readonly #entries = new Map<string, { value: T; timer: NodeJS.Timeout }>();

  constructor(
    readonly max: number,
    readonly ttlMs: number,
    readonly onExpire: (value: T) => void,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Parks `value` under a fresh requestState (or `reuse`, to put back an
   * exchange taken by a mismatched retry); undefined when the store is full.
   */
  park(value: T, reuse?: string): string | undefined {
    if (this.#entries.size >= this.max) return undefined;
    const state = reuse ?? newRequestState();
    const timer = setTimeout(() => {
      if (this.#entries.delete(state)) this.onExpire(value);
    }, this.ttlMs);
    timer.unref?.();
    this.#entries.set(state, { value, timer });
    return state;
  }

  /** Removes and returns the exchange named by `state`. */
  take(state: string): T | undefined {
    const entry = this.#entries.get(state);
    if (!entry) return undefined;
    this.#entries.delete(state);
    clearTimeout(entry.timer);
    return entry.value;
  }

  /** Drops every exchange whose value matches (e.g. on upstream death), without onExpire. */
  dropWhere(match: (value: T) => boolean): void {
    for (const [state, entry] of this.#entries) {
      if (match(entry.value)) {
        clearTimeout(entry.timer);
        this.#entries.delete(state);
      }
    }
  }

  clear(): void {
    for (const entry of this.#entries.values()) clearTimeout(entry.timer);
    this.#entries.clear();
  }
}
