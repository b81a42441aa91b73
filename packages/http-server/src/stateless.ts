// Stateless mode: no sessions, one shared, already-initialised upstream.
// `initialize` is answered from the cached result; request ids (and progress
// tokens) are remapped so concurrent clients can share the upstream; every
// upstream message goes to the one request it belongs to, never broadcast.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  classifyMessage,
  ErrorCodes,
  IdRemapper,
  JsonRpcErrorCodes,
  jsonRpcError,
  type Logger,
  McpProxyError,
  messageId,
} from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type InitializeResult,
  type JSONRPCMessage,
  LATEST_PROTOCOL_VERSION,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import type { ParsedBody } from "./body.js";
import { EventStream } from "./event-stream.js";
import { Exchange } from "./exchange.js";
import type { UpstreamMessageExtra, UpstreamSendOptions } from "./in-process.js";
import type { SessionInfo, StartHTTPServerOptions } from "./options.js";
import { SessionUpstreams } from "./session-upstream.js";
import type { PostContext } from "./streamable-session.js";
import { SubscriptionCounter } from "./subscriptions.js";

/** How long the shared upstream may take to answer our initialize. */
export const STATELESS_INIT_TIMEOUT_MS = 30_000;

interface Shared {
  transport: Transport;
  initResult: InitializeResult;
  remapper: IdRemapper<Exchange>;
  /** Upstream ids of requests we sent ourselves (initialize). */
  own: Map<string, (message: JSONRPCMessage) => void>;
  subscriptions: SubscriptionCounter;
  /** Set once initialised; reported to onConnect and onClose. */
  info?: SessionInfo;
  /** Upstream ids of forwarded resources/subscribe requests -> their URI. */
  subscribing: Map<string, string>;
}

type Params = { _meta?: Record<string, unknown>; progressToken?: unknown; [key: string]: unknown };

export class StatelessUpstream {
  readonly #options: StartHTTPServerOptions;
  readonly #logger: Logger;
  readonly #heartbeatMs: number;
  readonly #inFlight = new Set<Exchange>();
  #shared: Promise<Shared> | undefined;
  #closed = false;
  #negotiated: string | undefined;
  /** Opens the shared upstream in the configured era (a modern one behind LegacyClientAdapter). */
  readonly #upstreams: SessionUpstreams;

  constructor(options: StartHTTPServerOptions, logger: Logger, heartbeatMs: number) {
    this.#options = options;
    this.#logger = logger;
    this.#heartbeatMs = heartbeatMs;
    this.#upstreams = new SessionUpstreams(options, logger);
  }

  /** The version the shared upstream agreed to, once it has. */
  get negotiatedVersion(): string | undefined {
    return this.#negotiated;
  }

  get pendingCount(): number {
    return this.#inFlight.size;
  }

  async handlePost(body: ParsedBody, ctx: PostContext): Promise<void> {
    const shared = await this.#ensure(ctx.req);
    const requests = body.messages.filter((m) => classifyMessage(m) === "request");
    if (requests.length === 0) {
      ctx.res.writeHead(202).end();
    }
    const exchange =
      requests.length === 0
        ? undefined
        : new Exchange({
            res: ctx.res,
            ids: requests.map((m) => messageId(m) as RequestId),
            batch: body.batch,
            sseAllowed: ctx.sseAllowed,
            jsonAllowed: ctx.jsonAllowed,
            headers: ctx.headers,
            heartbeatMs: this.#heartbeatMs,
            // No resumability without sessions: a stream is only its response.
            openStream: () => new EventStream(`stateless.${randomUUID()}`, undefined, this.#logger),
            onDone: (done) => {
              this.#inFlight.delete(done);
              for (const token of this.#tokensOf.get(done) ?? [])
                this.#progressTokens.delete(token);
              this.#tokensOf.delete(done);
              shared.remapper.releaseOwner(done);
            },
          });
    if (exchange) this.#inFlight.add(exchange);
    const sendOptions: UpstreamSendOptions = {
      authInfo: ctx.authInfo,
      requestInfo: { headers: ctx.req.headers },
    };
    for (const message of body.messages) {
      const kind = classifyMessage(message);
      const method = (message as { method?: string }).method;
      if (kind === "request" && exchange) {
        const id = messageId(message) as RequestId;
        if (method === "initialize") {
          exchange.deliver({
            jsonrpc: "2.0",
            id,
            result: this.#initializeAnswer(shared.initResult, message),
          });
          continue;
        }
        const uri = (message as { params?: { uri?: unknown } }).params?.uri;
        if (method === "resources/subscribe" && typeof uri === "string") {
          if (!shared.subscriptions.shouldForwardSubscribe(uri)) {
            exchange.deliver({ jsonrpc: "2.0", id, result: {} });
            continue;
          }
        } else if (method === "resources/unsubscribe" && typeof uri === "string") {
          if (!shared.subscriptions.shouldForwardUnsubscribe(uri)) {
            exchange.deliver({ jsonrpc: "2.0", id, result: {} });
            continue;
          }
        }
        const upstreamId = shared.remapper.outgoing(id, exchange);
        if (method === "resources/subscribe" && typeof uri === "string")
          shared.subscribing.set(upstreamId, uri);
        const params = (message as { params?: Params }).params;
        const meta = params?._meta;
        // Progress tokens are client-chosen and may collide: use the upstream id instead.
        if (meta && meta.progressToken !== undefined) {
          this.#progressTokens.set(upstreamId, meta.progressToken);
          this.#tokensOf.set(exchange, [...(this.#tokensOf.get(exchange) ?? []), upstreamId]);
          meta.progressToken = upstreamId;
        }
        (message as { id: RequestId }).id = upstreamId;
        this.#send(shared, message, sendOptions, exchange, id);
      } else if (method === "notifications/initialized") {
        // The shared upstream was initialised once, by us.
      } else if (method === "notifications/cancelled") {
        // Without a session the cancelled request cannot be attributed to a client safely.
        this.#logger.debug("stateless cancellation dropped");
      } else {
        this.#send(shared, message, sendOptions, undefined, undefined);
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const shared = this.#shared;
    this.#shared = undefined;
    if (!shared) return;
    try {
      await (await shared).transport.close();
    } catch {
      // Failed to start or already closed.
    }
  }

  #send(
    shared: Shared,
    message: JSONRPCMessage,
    options: UpstreamSendOptions,
    exchange: Exchange | undefined,
    originalId: RequestId | undefined,
  ): void {
    shared.transport.send(message, options).catch((error: unknown) => {
      this.#logger.warn("send to shared upstream failed", { error });
      if (exchange && originalId !== undefined) {
        shared.remapper.incoming(messageId(message) as RequestId);
        exchange.deliver(errorFor(originalId, "Upstream unavailable"));
      }
    });
  }

  /** Agrees on the client's version when the upstream's is at least as new; never on one we do not speak. */
  #initializeAnswer(result: InitializeResult, request: JSONRPCMessage): InitializeResult {
    const requested = (request as { params?: { protocolVersion?: unknown } }).params
      ?.protocolVersion;
    const version =
      typeof requested === "string" &&
      SUPPORTED_PROTOCOL_VERSIONS.includes(requested) &&
      requested <= result.protocolVersion
        ? requested
        : result.protocolVersion;
    return { ...result, protocolVersion: version };
  }

  #ensure(req: IncomingMessage): Promise<Shared> {
    if (this.#closed)
      return Promise.reject(new McpProxyError(ErrorCodes.UPSTREAM_CLOSED, "Server is closing"));
    if (!this.#shared) {
      const starting = this.#start(req).catch((cause: unknown) => {
        if (cause instanceof McpProxyError) throw cause;
        throw new McpProxyError(
          ErrorCodes.SPAWN_FAILED,
          "Bad Gateway: the shared upstream could not be started",
          {
            cause,
          },
        );
      });
      this.#shared = starting;
      // A failed start is not cached: the next request tries again.
      starting.catch(() => {
        if (this.#shared === starting) this.#shared = undefined;
      });
    }
    return this.#shared;
  }

  async #start(req: IncomingMessage): Promise<Shared> {
    const opened = await this.#upstreams.open(req, undefined);
    const transport = opened.transport;
    const shared: Shared = {
      transport,
      initResult: undefined as unknown as InitializeResult,
      remapper: new IdRemapper<Exchange>("s"),
      own: new Map(),
      subscriptions: new SubscriptionCounter(),
      subscribing: new Map(),
    };
    transport.onmessage = (message, extra) =>
      this.#fromUpstream(shared, message, extra as UpstreamMessageExtra);
    transport.onerror = (error) => this.#logger.debug("shared upstream error", { error });
    transport.onclose = () => this.#upstreamClosed(shared);
    await transport.start();
    const initId = `init-${randomUUID()}`;
    const response = await new Promise<JSONRPCMessage>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new McpProxyError(ErrorCodes.TIMEOUT, "The shared upstream did not answer initialize"),
          ),
        STATELESS_INIT_TIMEOUT_MS,
      );
      timer.unref();
      shared.own.set(initId, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      transport
        .send({
          jsonrpc: "2.0",
          id: initId,
          method: "initialize",
          params: {
            protocolVersion: LATEST_PROTOCOL_VERSION,
            // Advertise what clients may answer; each server request is routed to one client.
            capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
            clientInfo: { name: "mcp-proxy-stateless", version: "1.0.0" },
          },
        })
        .catch(reject);
    });
    if (!("result" in response)) {
      await transport.close().catch(() => undefined);
      throw new McpProxyError(
        ErrorCodes.UPSTREAM_CLOSED,
        "The shared upstream rejected initialize",
      );
    }
    shared.initResult = response.result as InitializeResult;
    this.#negotiated = shared.initResult.protocolVersion;
    await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    shared.info = { transport: "stateless", server: opened.server, upstream: opened.source };
    await this.#options.onConnect?.(shared.info);
    return shared;
  }

  #fromUpstream(
    shared: Shared,
    message: JSONRPCMessage,
    extra: UpstreamMessageExtra | undefined,
  ): void {
    const kind = classifyMessage(message);
    if (kind === "response" || kind === "error") {
      const id = messageId(message);
      const own = typeof id === "string" ? shared.own.get(id) : undefined;
      if (own && id !== undefined) {
        shared.own.delete(id as string);
        own(message);
        return;
      }
      const entry = id === undefined ? undefined : shared.remapper.incoming(id);
      if (!entry) return;
      const uri = shared.subscribing.get(id as string);
      if (uri !== undefined) {
        shared.subscribing.delete(id as string);
        if (kind === "response") shared.subscriptions.subscribed(uri);
      }
      (message as { id: RequestId }).id = entry.originalId;
      entry.owner.deliver(message);
      return;
    }
    const target = this.#ownerOf(shared, message, extra);
    if (target?.canStream) {
      target.deliver(message);
      return;
    }
    this.#logger.debug("stateless: server message with no request to route to", {
      method: (message as { method?: string }).method,
    });
    if (kind === "request") {
      // Do not leave the upstream waiting for an answer no client will give.
      const id = messageId(message) as RequestId;
      void shared.transport
        .send(
          jsonRpcError(
            id,
            JsonRpcErrorCodes.INTERNAL_ERROR,
            "No client request to route this to",
          ) as JSONRPCMessage,
        )
        .catch(() => undefined);
    }
  }

  /** The exchange a server-initiated message belongs to, if it can be told. */
  #ownerOf(
    shared: Shared,
    message: JSONRPCMessage,
    extra: UpstreamMessageExtra | undefined,
  ): Exchange | undefined {
    if (extra?.relatedRequestId !== undefined) {
      const entry = shared.remapper.peek(extra.relatedRequestId);
      if (entry) return entry.owner;
    }
    const params = (message as { params?: Params }).params;
    if ((message as { method?: string }).method === "notifications/progress" && params) {
      const entry =
        typeof params.progressToken === "string"
          ? shared.remapper.peek(params.progressToken)
          : undefined;
      if (!entry) return undefined;
      // Give the client back its own token.
      const original = this.#originalProgressToken(entry.owner, params.progressToken as string);
      if (original !== undefined) params.progressToken = original;
      return entry.owner;
    }
    // Unrelated (a raw upstream does not say): only unambiguous with one request in flight.
    if (this.#inFlight.size === 1) return [...this.#inFlight][0];
    return undefined;
  }

  /** Upstream progress token -> the client's own token. */
  readonly #progressTokens = new Map<string, unknown>();
  readonly #tokensOf = new Map<Exchange, string[]>();

  #originalProgressToken(_owner: Exchange, upstreamToken: string): unknown {
    return this.#progressTokens.get(upstreamToken);
  }

  #upstreamClosed(shared: Shared): void {
    for (const entry of shared.remapper.drain()) {
      entry.owner.deliver(errorFor(entry.originalId, "Upstream closed"));
    }
    for (const resolve of shared.own.values()) {
      resolve(errorFor("init", "Upstream closed") as JSONRPCMessage);
    }
    shared.own.clear();
    const info = shared.info;
    if (info) {
      void Promise.resolve()
        .then(() => this.#options.onClose?.(info))
        .catch((error: unknown) => this.#logger.warn("onClose failed", { error }));
    }
    // The next request starts a fresh shared upstream.
    void this.#shared?.then((current) => {
      if (current === shared) this.#shared = undefined;
    });
  }
}

function errorFor(id: RequestId, message: string): JSONRPCMessage {
  return jsonRpcError(id, JsonRpcErrorCodes.CONNECTION_CLOSED, message) as JSONRPCMessage;
}
