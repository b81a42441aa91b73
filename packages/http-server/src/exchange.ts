// One POST that carries requests: it stays open until each of its requests is
// answered. The answer is plain JSON when the responses are all there is
// (the cheap path), and an SSE stream as soon as the server has something else
// to say first (progress, a log line, a sampling request).
import type { ServerResponse } from "node:http";
import { isResponse, messageId } from "@mcp-proxy/core";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { EventStream } from "./event-stream.js";
import { sendJson } from "./responses.js";
import { SseWriter } from "./sse-writer.js";

/** Map key for a JSON-RPC id: 1 and "1" are different requests. */
export const idKey = (id: RequestId): string => (typeof id === "number" ? `n${id}` : `s${id}`);

export interface ExchangeOptions {
  res: ServerResponse;
  ids: RequestId[];
  batch: boolean;
  /** The client accepts text/event-stream. */
  sseAllowed: boolean;
  /** The client accepts application/json. */
  jsonAllowed: boolean;
  headers: Record<string, string>;
  heartbeatMs: number;
  /** Creates the logical stream when the exchange turns into SSE. */
  openStream: () => EventStream;
  onDone: (exchange: Exchange) => void;
}

export class Exchange {
  readonly pending = new Set<string>();
  readonly #o: ExchangeOptions;
  #mode: "json" | "sse" | undefined;
  #early: JSONRPCMessage[] = [];
  #stream: EventStream | undefined;
  #done = false;

  constructor(options: ExchangeOptions) {
    this.#o = options;
    for (const id of options.ids) this.pending.add(idKey(id));
    if (!options.sseAllowed) this.#mode = "json";
  }

  get done(): boolean {
    return this.#done;
  }

  /** True when server-initiated messages can be written to this exchange's response. */
  get canStream(): boolean {
    // Once SSE, the logical stream outlives the response (resumability).
    return (
      !this.#done && (this.#mode === "sse" || (this.#mode === undefined && !this.#o.res.destroyed))
    );
  }

  /** True while a client is actually reading this exchange's response. */
  get attached(): boolean {
    if (this.#done) return false;
    return this.#mode === "sse" ? (this.#stream?.attached ?? false) : !this.#o.res.destroyed;
  }

  get streamId(): string | undefined {
    return this.#stream?.id;
  }

  /** Delivers a response of one of our requests, or a server message related to them. */
  deliver(message: JSONRPCMessage): void {
    if (this.#done) return;
    const answering = isResponse(message);
    if (answering) {
      const id = messageId(message);
      if (id !== undefined) this.pending.delete(idKey(id));
    } else if (this.#mode === "json") {
      return;
    }
    const finished = this.pending.size === 0;
    if (this.#mode === undefined && answering) {
      this.#early.push(message);
      if (finished && this.#o.jsonAllowed) this.#finishJson();
      else if (finished) this.#switchToSse();
      return;
    }
    if (this.#mode === "json") {
      this.#early.push(message);
      if (finished) this.#finishJson();
      return;
    }
    if (this.#mode === undefined) this.#switchToSse();
    void this.#stream?.send(message, finished);
    if (finished) this.#complete();
  }

  /** Answers every request still pending with `errorFor(id)` (the upstream is gone). */
  failPending(errorFor: (id: RequestId) => JSONRPCMessage, ids: RequestId[]): void {
    for (const id of ids) if (this.pending.has(idKey(id))) this.deliver(errorFor(id));
  }

  #switchToSse(): void {
    this.#mode = "sse";
    this.#stream = this.#o.openStream();
    if (!this.#o.res.destroyed) {
      this.#stream.attach(new SseWriter(this.#o.res, this.#o.headers, this.#o.heartbeatMs));
    }
    const early = this.#early;
    this.#early = [];
    const last = early.length - 1;
    early.forEach(
      (message, i) => void this.#stream?.send(message, i === last && this.pending.size === 0),
    );
    if (this.pending.size === 0) this.#complete();
  }

  #finishJson(): void {
    const body = this.#o.batch ? this.#early : this.#early[0];
    this.#early = [];
    sendJson(this.#o.res, 200, body, this.#o.headers);
    this.#complete();
  }

  #complete(): void {
    if (this.#done) return;
    this.#done = true;
    this.#o.onDone(this);
  }
}
