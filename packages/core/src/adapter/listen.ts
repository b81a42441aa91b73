// The one subscriptions/listen request a LegacyClientAdapter keeps open on a
// modern upstream over a message transport (stdio): the request stays
// unanswered while the subscription lives, its notifications arrive tagged
// with the listen request's id, and notifications/cancelled (either way) ends
// it. A changed filter opens a new listen and retires the old one once the
// new one is acknowledged, so no notification falls into the gap.
// Spec: docs/specification/2026-07-28/basic/patterns/subscriptions.mdx.
import type { JSONRPCMessage, JSONRPCNotification } from "@modelcontextprotocol/sdk/types.js";
import { JsonRpcErrorCodes } from "../errors.js";
import type { Logger } from "../logger.js";
import { listChangedFor, subscriptionIdOf, untaggedNotification } from "./translate.js";

type Params = Record<string, unknown>;

/** Consecutive failed listens after which the adapter stops reopening. */
export const DEFAULT_LISTEN_MAX_FAILURES = 5;
/** A listen that lived this long counts as healthy: its end restarts the backoff, ms. */
const STABLE_LISTEN_MS = 5_000;
/** First reopen delay, doubled per failure up to MAX_REOPEN_DELAY_MS. */
const REOPEN_DELAY_MS = 100;
const MAX_REOPEN_DELAY_MS = 5_000;

interface ActiveListen {
  id: string;
  filter: Params;
  key: string;
  ackedAt: number | undefined;
}

export interface AdapterListenOptions {
  /** Sends to the upstream (best effort). */
  send: (message: JSONRPCMessage) => void;
  /** Delivers to the 2025-era client. */
  deliver: (notification: JSONRPCNotification) => void;
  /** Builds the listen request (with the modern `_meta`). */
  request: (id: string, filter: Params) => JSONRPCMessage;
  /** A fresh upstream request id. */
  newId: () => string;
  logger: Logger;
}

export class AdapterListen {
  readonly #o: AdapterListenOptions;
  #current: ActiveListen | undefined;
  readonly #retiring = new Map<string, ActiveListen>();
  #failures = 0;
  /** The current listen replaces one the server ended: announce changes once it is acknowledged. */
  #gap = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: AdapterListenOptions) {
    this.#o = options;
  }

  /** Makes the open listen match `filter` (undefined: none). */
  update(filter: Params | undefined): void {
    if (this.#closed) return;
    const key = filter === undefined ? "" : JSON.stringify(filter);
    if (this.#current && this.#current.key === key) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#current) this.#retiring.set(this.#current.id, this.#current);
    this.#current = undefined;
    if (filter === undefined) {
      this.#retireAll();
      return;
    }
    this.#failures = 0;
    this.#gap = false;
    this.#open(filter, key);
  }

  /** True when `id` names one of our listen requests. */
  owns(id: unknown): boolean {
    return typeof id === "string" && (this.#current?.id === id || this.#retiring.has(id));
  }

  /** Handles a tagged notification; false when it is not for one of our listens. */
  notification(n: JSONRPCNotification): boolean {
    const sub = subscriptionIdOf(n);
    if (!this.owns(sub)) return false;
    if (n.method === "notifications/subscriptions/acknowledged") {
      const current = this.#current;
      if (current !== undefined && current.id === sub && current.ackedAt === undefined) {
        current.ackedAt = Date.now();
        this.#retireAll();
        // Changes while no listen was open are lost: let the client refetch.
        if (this.#gap) for (const change of listChangedFor(current.filter)) this.#o.deliver(change);
        this.#gap = false;
      }
      return true;
    }
    this.#o.deliver(untaggedNotification(n));
    return true;
  }

  /** The upstream ended listen `id` (a response to it, or notifications/cancelled). */
  ended(id: string, errorCode?: number): void {
    if (this.#retiring.delete(id)) return;
    const current = this.#current;
    if (current?.id !== id) return;
    this.#current = undefined;
    if (this.#closed) return;
    if (errorCode === JsonRpcErrorCodes.METHOD_NOT_FOUND) {
      // A server without listen will not grow it by being asked again.
      this.#o.logger.warn("The upstream does not support subscriptions/listen");
      return;
    }
    const stable =
      current.ackedAt !== undefined && Date.now() - current.ackedAt >= STABLE_LISTEN_MS;
    this.#failures = stable ? 1 : this.#failures + 1;
    if (this.#failures >= DEFAULT_LISTEN_MAX_FAILURES) {
      this.#o.logger.error(
        `Giving up on subscriptions/listen after ${this.#failures} ended streams`,
      );
      return;
    }
    this.#gap = true;
    const delay = Math.min(REOPEN_DELAY_MS * 2 ** (this.#failures - 1), MAX_REOPEN_DELAY_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed && !this.#current) this.#open(current.filter, current.key);
    }, delay);
    this.#timer.unref?.();
  }

  /** Ends every listen (best effort) and stops reopening; idempotent. */
  close(): void {
    if (this.#closed) return;
    if (this.#current) this.#retiring.set(this.#current.id, this.#current);
    this.#current = undefined;
    this.#retireAll();
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #open(filter: Params, key: string): void {
    const id = this.#o.newId();
    this.#current = { id, filter, key, ackedAt: undefined };
    this.#o.send(this.#o.request(id, filter));
  }

  #retireAll(): void {
    for (const id of this.#retiring.keys()) {
      this.#o.send({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: id, reason: "Subscription replaced or no longer needed" },
      } as JSONRPCMessage);
    }
    this.#retiring.clear();
  }
}
