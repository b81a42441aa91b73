// The gateway's parked input rounds: a call whose upstream asked for input
// waits here, named by an opaque, unguessable requestState, until the client
// retries with its inputResponses, bounded in count and lifetime.
// Spec: basic/patterns/mrtr.mdx.
import { randomBytes } from "node:crypto";

/** Default cap on input rounds parked at once, across all clients. */
export const DEFAULT_MAX_PARKED_ROUNDS = 100;
/** Default time a parked input round waits for the client's retry. */
export const DEFAULT_PARKED_ROUND_TTL_MS = 5 * 60_000;

/** A fresh opaque requestState: 192 random bits, URL-safe, after `prefix`. */
export function newRequestState(prefix = ""): string {
  return prefix + randomBytes(24).toString("base64url");
}

/**
 * Parked rounds by requestState, bounded in count and lifetime. Taking a round
 * removes it (a requestState is single-use); expiry calls `onExpire`.
 */
export class ParkedRounds<T> {
  readonly #entries = new Map<string, { value: T; timer: NodeJS.Timeout }>();

  constructor(
    readonly max: number,
    readonly ttlMs: number,
    readonly onExpire: (value: T) => void,
    /** Starts every requestState issued here (a cluster names the replica holding the round). */
    readonly prefix = "",
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Parks `value` under a fresh requestState (or `reuse`, to put back a round
   * taken by a mismatched retry); undefined when the store is full.
   */
  park(value: T, reuse?: string): string | undefined {
    if (this.#entries.size >= this.max) return undefined;
    const state = reuse ?? newRequestState(this.prefix);
    const timer = setTimeout(() => {
      if (this.#entries.delete(state)) this.onExpire(value);
    }, this.ttlMs);
    timer.unref?.();
    this.#entries.set(state, { value, timer });
    return state;
  }

  /** Removes and returns the round named by `state`. */
  take(state: string): T | undefined {
    const entry = this.#entries.get(state);
    if (!entry) return undefined;
    this.#entries.delete(state);
    clearTimeout(entry.timer);
    return entry.value;
  }

  /** Drops every round whose value matches (e.g. on upstream death), without onExpire. */
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
