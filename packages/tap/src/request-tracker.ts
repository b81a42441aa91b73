// Pairs responses with their requests to measure latency. Requests are kept per
// direction (ours are answered by the peer's messages and vice versa) because
// each side numbers its own ids. Bounded in count and age so that requests that
// are never answered cannot grow the table without limit.
import { classifyMessage, messageId } from "@mcp-proxy/core";
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { TapEvent } from "./tap-transport.js";

/** Most unanswered requests remembered per direction; the oldest are forgotten first. */
export const DEFAULT_MAX_PENDING_REQUESTS = 10_000;
/** Unanswered requests older than this are forgotten (a long tool call still fits). */
export const DEFAULT_PENDING_TTL_MS = 60 * 60 * 1000;

interface Pending {
  time: number;
  method: string;
}

/** What the tracker knows about a response: the request's method and the time since it. */
export interface Answer {
  method: string;
  latencyMs: number;
}

export class RequestTracker {
  /** Requests we sent, answered by incoming messages. */
  readonly #sent = new Map<RequestId, Pending>();
  /** Requests we received, answered by our sends. */
  readonly #received = new Map<RequestId, Pending>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Records a request, or returns the answer info for a response to a known request. */
  observe(event: TapEvent): Answer | undefined {
    if (event.type !== "send" && event.type !== "message") return undefined;
    const message = event.message;
    const kind = classifyMessage(message);
    if (kind === "request") {
      const table = event.type === "send" ? this.#sent : this.#received;
      const method = (message as { method: string }).method;
      this.#prune(table);
      table.delete(messageId(message)!); // re-insert so insertion order stays age order
      table.set(messageId(message)!, { time: event.time, method });
      return undefined;
    }
    if (kind !== "response" && kind !== "error") return undefined;
    const id = messageId(message);
    if (id === undefined) return undefined;
    const table = event.type === "message" ? this.#sent : this.#received;
    const pending = table.get(id);
    if (!pending) return undefined;
    table.delete(id);
    return { method: pending.method, latencyMs: event.time - pending.time };
  }

  #prune(table: Map<RequestId, Pending>): void {
    const cutoff = this.#now() - DEFAULT_PENDING_TTL_MS;
    for (const [id, pending] of table) {
      if (table.size < DEFAULT_MAX_PENDING_REQUESTS && pending.time >= cutoff) break;
      table.delete(id);
    }
  }
}
