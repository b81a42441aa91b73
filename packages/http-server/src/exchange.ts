// One POST that carries requests: it stays open until each of its requests is
// answered. The answer is plain JSON when the responses are all there is
// (the cheap path), and an SSE stream as soon as the server has something else
// to say first (progress, a log line, a sampling request).
import type { IncomingMessage, ServerResponse } from "node:http";
import { isResponse, messageId } from "@mcp-proxy/core";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { EventStream } from "./event-stream.js";
import { sendJson } from "./responses.js";
import { SseWriter } from "./sse-writer.js";

/** Map key for a JSON-RPC id: 1 and "1" are different requests. */
export const idKey = (id: RequestId): string => (typeof id === "number" ? `n${id}` : `s${id}`);

/** One 2025-era POST as a session (or stateless mode) receives it. */
export interface PostContext {
  req: IncomingMessage;
  res: ServerResponse;
  authInfo: AuthInfo | undefined;
  sseAllowed: boolean;
  jsonAllowed: boolean;
  /** Headers every response of this session carries (Mcp-Session-Id). */
  headers: Record<string, string>;
}

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
  /** Answers held until the exchange knows its mode, with their JSON text when known. */
  #early: JSONRPCMessage[] = [];
  #earlyText: Array<string | undefined> = [];
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

  /**
   * Delivers a response of one of our requests, or a server message related to them.
   * `text`, when given, must be the JSON text of `message` as received (nothing rewrote
   * it since): it is written as it is instead of serialising `message` again.
   */
  deliver(message: JSONRPCMessage, text?: string): void {
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
      this.#hold(message, text);
      if (finished && this.#o.jsonAllowed) this.#finishJson();
      else if (finished) this.#switchToSse();
      return;
    }
    if (this.#mode === "json") {
      this.#hold(message, text);
      if (finished) this.#finishJson();
      return;
    }
    if (this.#mode === undefined) this.#switchToSse();
    void this.#stream?.send(message, finished, text);
    if (finished) this.#complete();
  }

  #hold(message: JSONRPCMessage, text: string | undefined): void {
    this.#early.push(message);
    this.#earlyText.push(text);
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
    const texts = this.#earlyText;
    this.#early = [];
    this.#earlyText = [];
    const last = early.length - 1;
    early.forEach(
      (message, i) =>
        void this.#stream?.send(message, i === last && this.pending.size === 0, texts[i]),
    );
    if (this.pending.size === 0) this.#complete();
  }

  #finishJson(): void {
    const early = this.#early;
    const texts = this.#earlyText;
    this.#early = [];
    this.#earlyText = [];
    if (!this.#o.batch) sendJson(this.#o.res, 200, early[0], this.#o.headers, texts[0]);
    else if (texts.every((text) => text === undefined))
      sendJson(this.#o.res, 200, early, this.#o.headers);
    else {
      // The array's JSON is its elements' JSON joined, so known texts are reused as they are.
      const parts = early.map((message, i) => texts[i] ?? JSON.stringify(message));
      sendJson(this.#o.res, 200, early, this.#o.headers, `[${parts.join(",")}]`);
    }
    this.#complete();
  }

  #complete(): void {
    if (this.#done) return;
    this.#done = true;
    this.#o.onDone(this);
  }
}
