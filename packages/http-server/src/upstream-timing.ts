// With a metrics hook that wants it: how long the upstream takes to answer
// each request, timed at the upstream transport itself (from the request's
// send to its response), so the proxy's own time is not in it. The wrapper
// passes everything through unchanged; pending entries are dropped when
// answered, cancelled or closed, and bounded.
import { performance } from "node:perf_hooks";
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  JSONRPCMessage,
  MessageExtraInfo,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { idKey } from "./exchange.js";

/** Most requests timed at once; beyond it the oldest is forgotten (its answer goes untimed). */
const MAX_PENDING = 10_000;

type Message = { id?: RequestId; method?: unknown; params?: { requestId?: RequestId } };

export class TimedUpstream implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  readonly #inner: Transport;
  readonly #onAnswer: (method: string, seconds: number) => void;
  readonly #pending = new Map<string, { method: string; at: number }>();

  constructor(inner: Transport, onAnswer: (method: string, seconds: number) => void) {
    this.#inner = inner;
    this.#onAnswer = onAnswer;
    inner.onmessage = (message, extra) => {
      const m = message as Message;
      if (m.id !== undefined && m.method === undefined) this.#answered(m.id);
      this.onmessage?.(message, extra);
    };
    inner.onclose = () => {
      this.#pending.clear();
      this.onclose?.();
    };
    inner.onerror = (error) => this.onerror?.(error);
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.#inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    return this.#inner.start();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const m = message as Message;
    if (m.id !== undefined && typeof m.method === "string") {
      if (this.#pending.size >= MAX_PENDING) {
        this.#pending.delete(this.#pending.keys().next().value as string);
      }
      this.#pending.set(idKey(m.id), { method: m.method, at: performance.now() });
    } else if (m.method === "notifications/cancelled" && m.params?.requestId !== undefined) {
      this.#pending.delete(idKey(m.params.requestId));
    }
    return this.#inner.send(message, options);
  }

  #answered(id: RequestId): void {
    const key = idKey(id);
    const pending = this.#pending.get(key);
    if (!pending) return;
    this.#pending.delete(key);
    try {
      this.#onAnswer(pending.method, (performance.now() - pending.at) / 1000);
    } catch {
      // A metrics hook that throws must not take the session down.
    }
  }
}
