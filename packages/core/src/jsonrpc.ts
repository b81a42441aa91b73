// Cheap structural helpers for JSON-RPC messages on the hot path: classify by
// the presence of fields (no schema validation; the receiver validates), build
// error responses, and remap ids when several clients share one upstream.
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";

export type MessageKind = "request" | "notification" | "response" | "error" | "invalid";

/** Classifies a parsed value as a JSON-RPC message kind without validating it fully. */
export function classifyMessage(value: unknown): MessageKind {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "invalid";
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== "2.0") return "invalid";
  if (typeof m.method === "string") {
    if (!("id" in m) || m.id === undefined) return "notification";
    return isRequestId(m.id) ? "request" : "invalid";
  }
  if ("result" in m && isRequestId(m.id)) return "response";
  if ("error" in m && typeof m.error === "object" && m.error !== null) return "error";
  return "invalid";
}

/** True when `value` is a valid JSON-RPC request id (string or integer-ish number). */
export function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

export const isRequest = (
  m: unknown,
): m is Extract<JSONRPCMessage, { method: string; id: RequestId }> =>
  classifyMessage(m) === "request";
export const isNotification = (m: unknown): m is Extract<JSONRPCMessage, { method: string }> =>
  classifyMessage(m) === "notification";
/** A response or an error response: anything that answers a request. */
export const isResponse = (m: unknown): boolean => {
  const kind = classifyMessage(m);
  return kind === "response" || kind === "error";
};

/** Builds a JSON-RPC error response object. `id` is null when it is unknown. */
export function jsonRpcError(
  id: RequestId | null | undefined,
  code: number,
  message: string,
  data?: unknown,
): {
  jsonrpc: "2.0";
  id: RequestId | null;
  error: { code: number; message: string; data?: unknown };
} {
  const error: { code: number; message: string; data?: unknown } = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: "2.0", id: id ?? null, error };
}

/** Reads the id of a request or response, if it has one. */
export function messageId(message: unknown): RequestId | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const id = (message as { id?: unknown }).id;
  return isRequestId(id) ? id : undefined;
}

interface Pending<T> {
  originalId: RequestId;
  owner: T;
}

/**
 * Remaps request ids so that requests from several owners (clients, sessions)
 * can share one upstream without colliding. `outgoing` hands out a fresh
 * upstream id; `incoming` resolves an upstream response back to its owner and
 * the owner's original id, exactly once.
 */
export class IdRemapper<T = unknown> {
  #next = 1;
  readonly #pending = new Map<number, Pending<T>>();
  readonly #prefix: string;

  /** `prefix` keeps our ids apart from ids the upstream might reuse elsewhere. */
  constructor(prefix = "p") {
    this.#prefix = prefix;
  }

  /** Reserves an upstream id for `originalId` of `owner`; returns the new id. */
  outgoing(originalId: RequestId, owner: T): string {
    const n = this.#next++;
    this.#pending.set(n, { originalId, owner });
    return `${this.#prefix}${n}`;
  }

  /** Resolves an upstream id to its owner and original id, and forgets it. */
  incoming(upstreamId: RequestId): Pending<T> | undefined {
    const n = this.#parse(upstreamId);
    if (n === undefined) return undefined;
    const entry = this.#pending.get(n);
    if (entry) this.#pending.delete(n);
    return entry;
  }

  /** Looks up without forgetting (e.g. to route a cancellation). */
  peek(upstreamId: RequestId): Pending<T> | undefined {
    const n = this.#parse(upstreamId);
    return n === undefined ? undefined : this.#pending.get(n);
  }

  /** Finds the upstream id for an owner's original id (e.g. for notifications/cancelled). */
  upstreamIdFor(owner: T, originalId: RequestId): string | undefined {
    for (const [n, entry] of this.#pending) {
      if (entry.owner === owner && entry.originalId === originalId) return `${this.#prefix}${n}`;
    }
    return undefined;
  }

  /** Drops every pending entry of `owner` and returns their original ids. */
  releaseOwner(owner: T): RequestId[] {
    const ids: RequestId[] = [];
    for (const [n, entry] of this.#pending) {
      if (entry.owner === owner) {
        ids.push(entry.originalId);
        this.#pending.delete(n);
      }
    }
    return ids;
  }

  /** Every pending entry, e.g. to fail them all when the upstream dies. */
  drain(): Pending<T>[] {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    return all;
  }

  get size(): number {
    return this.#pending.size;
  }

  #parse(upstreamId: RequestId): number | undefined {
    if (typeof upstreamId !== "string" || !upstreamId.startsWith(this.#prefix)) return undefined;
    const n = Number(upstreamId.slice(this.#prefix.length));
    return Number.isInteger(n) ? n : undefined;
  }
}
