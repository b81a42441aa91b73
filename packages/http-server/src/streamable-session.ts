// A stateful Streamable HTTP session (2025-03-26 .. 2025-11-25): one client,
// one upstream. Client messages go to the upstream as they are; upstream
// messages are routed to the POST they answer or relate to, else to the
// standalone GET stream. Never broadcast.
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import {
  classifyMessage,
  ErrorCodes,
  JsonRpcErrorCodes,
  jsonRpcError,
  type Logger,
  McpProxyError,
  messageId,
} from "@mcp-proxy/core";
import { jsonTextOf } from "@mcp-proxy/core/internal";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { ParsedBody } from "./body.js";
import { EventNotAvailableError, type EventStore } from "./event-store.js";
import { EventStream } from "./event-stream.js";
import { Exchange, idKey, type PostContext } from "./exchange.js";
import type { UpstreamMessageExtra, UpstreamSendOptions } from "./in-process.js";
import type { McpServerLike } from "./options.js";
import { SessionBase } from "./session-base.js";
import { SseWriter } from "./sse-writer.js";

export interface SessionSettings {
  eventStore: EventStore | undefined;
  heartbeatMs: number;
  logger: Logger;
}

const progressTokenOf = (message: JSONRPCMessage): string | number | undefined => {
  const params = (
    message as { params?: { _meta?: { progressToken?: unknown }; progressToken?: unknown } }
  ).params;
  const token = params?._meta?.progressToken ?? params?.progressToken;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
};

export class StreamableSession extends SessionBase {
  readonly #s: SessionSettings;
  /** HTTP requests for this session being handled (see hold()). */
  #holds = 0;
  readonly #requests = new Map<string, Exchange>();
  readonly #progress = new Map<string | number, Exchange>();
  readonly #exchanges = new Set<Exchange>();
  readonly #streams = new Map<string, EventStream>();
  readonly #streamIds = new Set<string>();
  #standalone: EventStream | undefined;
  #initializeId: string | undefined;
  /** The version the upstream agreed to in initialize. */
  protocolVersion: string | undefined;

  constructor(
    id: string,
    upstream: Transport,
    server: McpServerLike | undefined,
    settings: SessionSettings,
  ) {
    super(id, upstream, server, settings.logger);
    this.#s = settings;
  }

  /** Installs the upstream handlers and starts it. */
  async start(): Promise<void> {
    this.upstream.onmessage = (message, extra) =>
      this.#fromUpstream(message, extra as UpstreamMessageExtra);
    this.upstream.onclose = () => void this.close("upstream closed");
    this.upstream.onerror = (error) =>
      this.logger.debug("upstream error", { session: this.id, error });
    await this.upstream.start();
  }

  /** True while a request is in flight or a stream is attached (not idle). */
  get busy(): boolean {
    return this.#holds > 0 || this.#requests.size > 0 || (this.#standalone?.attached ?? false);
  }

  get pendingCount(): number {
    return this.#holds + this.#requests.size;
  }

  /**
   * Counts the session busy until the returned release runs. Taken as soon as a request's
   * headers name the session, so a body that uploads for longer than the idle timeout does
   * not find its session reaped when it is finally read.
   */
  hold(): () => void {
    this.#holds++;
    this.#touch();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds--;
      this.#touch();
    };
  }

  /**
   * Restarts the idle clock. Called whenever something that kept the session busy ends (a
   * request, a stream): idleness counts from then, not from the last request, or a session
   * whose stream outlived the timeout would be reaped the moment that stream dropped.
   */
  #touch(): void {
    this.lastActivity = Date.now();
  }

  /** Forwards a POSTed body. Requests keep `res` open until answered; otherwise 202. */
  handlePost(body: ParsedBody, ctx: PostContext): void {
    this.lastActivity = Date.now();
    const ids: RequestId[] = [];
    for (const message of body.messages)
      if (classifyMessage(message) === "request") ids.push(messageId(message) as RequestId);
    for (const id of ids) {
      // The pending request would lose its answer to the new one: refuse the new one (400).
      if (this.#requests.has(idKey(id))) {
        throw new McpProxyError(
          ErrorCodes.INVALID_MESSAGE,
          `Invalid Request: request id ${JSON.stringify(id)} is still in flight in this session`,
        );
      }
    }
    let exchange: Exchange | undefined;
    if (ids.length > 0) {
      exchange = new Exchange({
        res: ctx.res,
        ids,
        batch: body.batch,
        sseAllowed: ctx.sseAllowed,
        jsonAllowed: ctx.jsonAllowed,
        headers: ctx.headers,
        heartbeatMs: this.#s.heartbeatMs,
        openStream: () => this.#newStream(`${this.id}.${randomUUID()}`),
        onDone: (done) => this.#exchangeDone(done),
      });
      this.#exchanges.add(exchange);
      for (const id of ids) this.#requests.set(idKey(id), exchange);
    } else {
      ctx.res.writeHead(202, ctx.headers).end();
    }
    const sendOptions: UpstreamSendOptions = {
      authInfo: ctx.authInfo,
      requestInfo: { headers: ctx.req.headers },
    };
    for (const message of body.messages) {
      if ((message as { method?: string }).method === "initialize" && ids[0] !== undefined) {
        this.#initializeId = idKey(ids[0]);
      }
      if ((message as { method?: string }).method === "notifications/cancelled")
        this.#cancelled(message);
      if (exchange) {
        const token = classifyMessage(message) === "request" ? progressTokenOf(message) : undefined;
        if (token !== undefined) this.#progress.set(token, exchange);
      }
      this.upstream.send(message, sendOptions).catch((error: unknown) => {
        this.logger.warn("send to upstream failed", { session: this.id, error });
        const id = messageId(message);
        if (exchange && id !== undefined && classifyMessage(message) === "request") {
          exchange.deliver(
            jsonRpcError(
              id,
              JsonRpcErrorCodes.CONNECTION_CLOSED,
              "Upstream unavailable",
            ) as JSONRPCMessage,
          );
        }
      });
    }
  }

  /** Opens (or, with Last-Event-ID, resumes) a stream for GET. */
  async openGet(
    res: ServerResponse,
    headers: Record<string, string>,
    lastEventId: string | undefined,
  ): Promise<void> {
    this.lastActivity = Date.now();
    // Opened only once a resume is known to be possible: a refusal still needs its status line.
    const open = () => {
      const writer = new SseWriter(res, headers, this.#s.heartbeatMs);
      writer.onClose(() => this.#touch());
      return writer;
    };
    const store = this.#s.eventStore;
    if (lastEventId !== undefined && store) {
      const streamId = store.getStreamIdForEventId
        ? await store.getStreamIdForEventId(lastEventId)
        : this.#standaloneStream().id;
      // An id the store cannot place, or another session's: refused (409) like a partial replay.
      if (streamId === undefined || !this.#streamIds.has(streamId)) {
        throw new EventNotAvailableError(lastEventId, "unknown");
      }
      // A finished request stream is gone from the map: replay it and end.
      const stream = this.#streams.get(streamId) ?? this.#finishedStream(streamId);
      await stream.resume(lastEventId, open, (id) => this.#streamIds.has(id));
      return;
    }
    this.#standaloneStream().attach(open());
  }

  /** Ends the session: pending requests get an error at once, streams end, the upstream closes. */

  protected async shutdown(): Promise<void> {
    for (const exchange of [...this.#exchanges]) {
      const ids = [...this.#requests.entries()]
        .filter(([, e]) => e === exchange)
        .map(([key]) => key);
      for (const key of ids) {
        const id: RequestId = key.startsWith("n") ? Number(key.slice(1)) : key.slice(1);
        exchange.deliver(
          jsonRpcError(
            id,
            JsonRpcErrorCodes.CONNECTION_CLOSED,
            "Upstream closed: the session has ended",
          ) as JSONRPCMessage,
        );
      }
    }
    this.notifyEnded();
    await Promise.allSettled([...this.#streams.values()].map((stream) => stream.discard()));
    for (const id of this.#streamIds) await this.#s.eventStore?.removeStream?.(id);
    this.#streams.clear();
    await this.closeUpstream();
  }

  #fromUpstream(message: JSONRPCMessage, extra: UpstreamMessageExtra | undefined): void {
    this.lastActivity = Date.now();
    const kind = classifyMessage(message);
    if (kind === "response" || kind === "error") {
      const id = messageId(message);
      const exchange = id === undefined ? undefined : this.#requests.get(idKey(id));
      if (exchange && id !== undefined) {
        this.#requests.delete(idKey(id));
        const initialize = this.#initializeId === idKey(id);
        if (initialize) this.#recordVersion(message);
        // Relayed untouched, so the upstream's own text (when it kept it) is the answer.
        exchange.deliver(message, jsonTextOf(message));
        if (initialize && kind === "error") {
          // A session whose initialize failed can serve nothing: end it now, not at its timeout.
          void this.close("initialize failed");
        }
      } else {
        this.logger.debug("response for no pending request dropped", { session: this.id, id });
      }
      return;
    }
    this.#routeServerMessage(message, extra);
  }

  #routeServerMessage(message: JSONRPCMessage, extra: UpstreamMessageExtra | undefined): void {
    let target: Exchange | undefined;
    if (extra?.relatedRequestId !== undefined)
      target = this.#requests.get(idKey(extra.relatedRequestId));
    if (!target && (message as { method?: string }).method === "notifications/progress") {
      const token = progressTokenOf(message);
      if (token !== undefined) target = this.#progress.get(token);
    }
    // Unrelated server messages prefer the standalone stream; without one, the
    // latest open request stream is the only way they can reach the client.
    if (!target && !this.#standalone?.attached) {
      for (const exchange of this.#exchanges) if (exchange.canStream) target = exchange;
    }
    const text = jsonTextOf(message);
    if (target?.canStream) target.deliver(message, text);
    else this.#standaloneStream().send(message, false, text);
  }

  /**
   * The client gave up on a request: the upstream is told (the message is forwarded) and
   * will not answer, so close that request's part of its POST now instead of holding it open.
   */
  #cancelled(message: JSONRPCMessage): void {
    const id = (message as { params?: { requestId?: unknown } }).params?.requestId;
    if (typeof id !== "string" && typeof id !== "number") return;
    const exchange = this.#requests.get(idKey(id));
    if (!exchange) return;
    this.#requests.delete(idKey(id));
    exchange.deliver(
      jsonRpcError(id, JsonRpcErrorCodes.CONNECTION_CLOSED, "Request cancelled") as JSONRPCMessage,
    );
  }

  #recordVersion(message: JSONRPCMessage): void {
    const version = (message as { result?: { protocolVersion?: unknown } }).result?.protocolVersion;
    if (typeof version === "string") this.protocolVersion = version;
    this.#initializeId = undefined;
  }

  #standaloneStream(): EventStream {
    if (!this.#standalone) this.#standalone = this.#newStream(`${this.id}.standalone`);
    return this.#standalone;
  }

  #newStream(id: string): EventStream {
    const stream = new EventStream(id, this.#s.eventStore, this.#s.logger);
    this.#streams.set(id, stream);
    this.#streamIds.add(id);
    return stream;
  }

  #finishedStream(id: string): EventStream {
    const stream = new EventStream(id, this.#s.eventStore, this.#s.logger);
    void stream.end();
    return stream;
  }

  #exchangeDone(exchange: Exchange): void {
    this.#touch();
    this.#exchanges.delete(exchange);
    for (const [key, e] of this.#requests) if (e === exchange) this.#requests.delete(key);
    for (const [token, e] of this.#progress) if (e === exchange) this.#progress.delete(token);
    const streamId = exchange.streamId;
    // Keep its events in the store for a late resume; forget the live object.
    if (streamId) this.#streams.delete(streamId);
  }
}
