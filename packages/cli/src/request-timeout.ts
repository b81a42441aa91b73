// --requestTimeout and --connectionTimeout: a request the child has not
// answered in time is answered with a JSON-RPC error (-32001) and cancelled
// upstream, so a hung server never leaves a client waiting forever. The
// initialize request gets the connection timeout, every other request the
// request timeout. Late answers are dropped.

import { classifyMessage, JsonRpcErrorCodes, jsonRpcError, messageId } from "@mcp-proxy/core";
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

type OnMessage = NonNullable<Transport["onmessage"]>;

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
  /** Pending requests by id (typed key so 1 and "1" stay distinct). */
  readonly #pending = new Map<string, NodeJS.Timeout>();
  /** Requests already answered with a timeout error, whose late answers are dropped. */
  readonly #timedOut = new Set<string>();

  constructor(inner: Transport, options: RequestTimeoutOptions) {
    this.#inner = inner;
    this.#options = options;
    inner.onmessage = ((message: JSONRPCMessage, extra?: unknown) => {
      const kind = classifyMessage(message);
      if (kind === "response" || kind === "error") {
        const id = messageId(message);
        if (id !== undefined) {
          const key = keyOf(id);
          const timer = this.#pending.get(key);
          if (!timer) {
            // Already answered by a timeout: the client has its error; drop this one.
            if (this.#timedOut.delete(key)) return;
          } else {
            clearTimeout(timer);
            this.#pending.delete(key);
          }
        }
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
    if (classifyMessage(message) === "request") {
      const id = messageId(message)!;
      const method = (message as { method: string }).method;
      const ms =
        method === "initialize" ? this.#options.connectionTimeout : this.#options.requestTimeout;
      const key = keyOf(id);
      this.#timedOut.delete(key);
      const previous = this.#pending.get(key);
      if (previous) clearTimeout(previous);
      const timer = setTimeout(() => this.#expire(id, method, ms), ms);
      timer.unref();
      this.#pending.set(key, timer);
    }
    return this.#inner.send(message, options);
  }

  close(): Promise<void> {
    this.#clear();
    return this.#inner.close();
  }

  #expire(id: RequestId, method: string, ms: number): void {
    const key = keyOf(id);
    this.#pending.delete(key);
    this.#timedOut.add(key);
    // Bound the set: ids of answers that never come must not pile up.
    if (this.#timedOut.size > 10_000) this.#timedOut.delete(this.#timedOut.values().next().value!);
    this.#inner
      .send({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: id, reason: `mcp-proxy: no answer within ${ms} ms` },
      })
      .catch(() => {
        // The child may be gone; the error below still reaches the client.
      });
    const error = jsonRpcError(
      id,
      JsonRpcErrorCodes.REQUEST_TIMEOUT,
      `Request timed out: the server did not answer ${method} within ${ms} ms`,
    );
    this.onmessage?.(error as JSONRPCMessage);
  }

  #clear(): void {
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }
}

const keyOf = (id: RequestId): string => `${typeof id}:${id}`;
