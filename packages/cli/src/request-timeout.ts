// --requestTimeout and --connectionTimeout: a request the child has not
// answered in time is answered with a JSON-RPC error (-32001) and cancelled
// upstream, so a hung server never leaves a client waiting forever. The
// initialize request gets the connection timeout, every other request the
// request timeout. Late answers are dropped.
//
// On the hot path: one sweep timer per transport over a map of deadlines (no
// timer set and cleared per request), and messages are told apart by the
// presence of `method` and `id` only (the receiver validates them).

import { JsonRpcErrorCodes, jsonRpcError } from "@mcp-proxy/core";
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";

export interface RequestTimeoutOptions {
  /** For every request but initialize, in ms. */
  requestTimeout: number;
  /** For initialize, in ms. */
  connectionTimeout: number;
}

/** Ids of requests answered by a timeout, kept so their late answers can be dropped; bounded. */
const MAX_TIMED_OUT_IDS = 10_000;

type OnMessage = NonNullable<Transport["onmessage"]>;

interface Deadline {
  method: string;
  ms: number;
  at: number;
}

/** Wraps the upstream (child) transport; messages pass through unchanged. */
export function withRequestTimeouts(inner: Transport, options: RequestTimeoutOptions): Transport {
  return new TimedTransport(inner, options);
}

class TimedTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: OnMessage;
  readonly #inner: Transport;
  readonly #options: RequestTimeoutOptions;
  /** Pending requests by id (a Map keeps 1 and "1" distinct). */
  readonly #pending = new Map<RequestId, Deadline>();
  /** Requests already answered with a timeout error, whose late answers are dropped. */
  readonly #timedOut = new Set<RequestId>();
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires. */
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(inner: Transport, options: RequestTimeoutOptions) {
    this.#inner = inner;
    this.#options = options;
    inner.onmessage = ((message: JSONRPCMessage, extra?: unknown) => {
      const m = message as { id?: RequestId; method?: unknown };
      // An answer (an id and no method): settle its deadline, or drop it when it came too late.
      if (m.method === undefined && m.id !== undefined && m.id !== null) {
        if (!this.#pending.delete(m.id) && this.#timedOut.delete(m.id)) return;
      }
      (this.onmessage as ((m: JSONRPCMessage, e?: unknown) => void) | undefined)?.(message, extra);
    }) as OnMessage;
    inner.onclose = () => {
      this.#clear();
      this.onclose?.();
    };
    inner.onerror = (error) => this.onerror?.(error);
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  start(): Promise<void> {
    return this.#inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const m = message as { id?: RequestId; method?: unknown };
    if (typeof m.method === "string" && m.id !== undefined && m.id !== null) {
      const ms =
        m.method === "initialize" ? this.#options.connectionTimeout : this.#options.requestTimeout;
      if (this.#timedOut.size > 0) this.#timedOut.delete(m.id);
      const at = Date.now() + ms;
      this.#pending.set(m.id, { method: m.method, ms, at });
      if (at < this.#timerAt) this.#arm(at);
    }
    return this.#inner.send(message, options);
  }

  close(): Promise<void> {
    this.#clear();
    return this.#inner.close();
  }

  #arm(at: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#sweep(), Math.max(0, at - Date.now()));
    this.#timer.unref();
  }

  /** Expires every request past its deadline, then sleeps until the next deadline. */
  #sweep(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [id, deadline] of this.#pending) {
      if (deadline.at <= now) this.#expire(id, deadline);
      else if (deadline.at < next) next = deadline.at;
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
  }

  #expire(id: RequestId, { method, ms }: Deadline): void {
    this.#pending.delete(id);
    this.#timedOut.add(id);
    // Bound the set: ids of answers that never come must not pile up.
    if (this.#timedOut.size > MAX_TIMED_OUT_IDS) {
      this.#timedOut.delete(this.#timedOut.values().next().value!);
    }
    // initialize must never be cancelled (spec: lifecycle); the rest is told to stop.
    if (method !== "initialize") {
      this.#inner
        .send({
          jsonrpc: "2.0",
          method: "notifications/cancelled",
          params: { requestId: id, reason: `mcp-proxy: no answer within ${ms} ms` },
        })
        .catch(() => {
          // The child may be gone; the error below still reaches the client.
        });
    }
    const error = jsonRpcError(
      id,
      JsonRpcErrorCodes.REQUEST_TIMEOUT,
      `Request timed out: the server did not answer ${method} within ${ms} ms`,
    );
    this.onmessage?.(error as JSONRPCMessage);
    // A server that never finished initialize is of no use to anyone: end it, so its
    // session (or the shared upstream) goes too instead of idling until it expires.
    if (method === "initialize") void this.close();
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#pending.clear();
  }
}
