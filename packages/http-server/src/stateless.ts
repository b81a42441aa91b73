// Stateless mode: no sessions, one shared, already-initialised upstream behind
// core's SharedUpstream. Each POST gets a short-lived virtual session for its
// requests (ids, progress tokens and subscriptions are remapped and routed
// there), closed once they are answered; `initialize` is answered here.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  classifyMessage,
  ErrorCodes,
  JsonRpcErrorCodes,
  jsonRpcError,
  type Logger,
  McpProxyError,
  messageId,
  SharedUpstream,
} from "@mcp-proxy/core";
import {
  answerUnattributed,
  DEFAULT_INITIALIZE_TIMEOUT_MS,
  soleMatch,
} from "@mcp-proxy/core/internal";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type InitializeResult,
  type JSONRPCMessage,
  LATEST_PROTOCOL_VERSION,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import type { ParsedBody } from "./body.js";
import type { StatelessHandler } from "./context.js";
import { EventStream } from "./event-stream.js";
import { Exchange, type PostContext } from "./exchange.js";
import type { UpstreamSendOptions } from "./in-process.js";
import type { SessionInfo, StartHTTPServerOptions } from "./options.js";
import { reportClosed } from "./session-info.js";
import { SessionUpstreams } from "./upstream.js";

interface Shared {
  upstream: SharedUpstream;
  /** Our own long-lived session: it initialised the upstream and carries notifications. */
  primer: Transport;
  initResult: InitializeResult;
}

export class StatelessUpstream implements StatelessHandler {
  readonly #options: StartHTTPServerOptions;
  readonly #logger: Logger;
  readonly #heartbeatMs: number;
  readonly #inFlight = new Set<Exchange>();
  /** Sessions holding one resources/subscribe each, by uri: a subscription outlives its POST. */
  readonly #holders = new Map<string, Transport[]>();
  /** Server-to-client requests handed to a POST's session, by the id the client saw. */
  readonly #serverRequests = new Map<string, Transport>();
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
    const sendOptions: UpstreamSendOptions = {
      authInfo: ctx.authInfo,
      requestInfo: { headers: ctx.req.headers },
    };
    const requests = body.messages.filter((m) => classifyMessage(m) === "request");
    if (requests.length === 0) ctx.res.writeHead(202).end();
    const exchange = requests.length === 0 ? undefined : this.#exchange(requests, body, ctx);
    const session = exchange && (await this.#open(shared, exchange));
    for (const message of body.messages) {
      const kind = classifyMessage(message);
      if (kind === "request" && exchange && session) {
        const id = messageId(message) as RequestId;
        const method = (message as { method?: string }).method;
        if (method === "initialize") {
          exchange.deliver({
            jsonrpc: "2.0",
            id,
            result: initializeAnswer(shared.initResult, message),
          });
          continue;
        }
        const target = await this.#sessionFor(shared, exchange, session, message);
        target.send(message, sendOptions).catch((error: unknown) => {
          this.#logger.warn("send to shared upstream failed", { error });
          exchange.deliver(errorFor(id, "Upstream unavailable"));
        });
      } else if (kind === "response" || kind === "error") {
        this.#answer(message, sendOptions);
      } else {
        // initialized is dropped (we initialised the upstream); cancelled has no request here.
        shared.primer.send(message, sendOptions).catch((error: unknown) => {
          this.#logger.warn("send to shared upstream failed", { error });
        });
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const shared = this.#shared;
    this.#shared = undefined;
    if (!shared) return;
    try {
      await (await shared).upstream.close();
    } catch {
      // Failed to start or already closed.
    }
  }

  #exchange(requests: JSONRPCMessage[], body: ParsedBody, ctx: PostContext): Exchange {
    const exchange = new Exchange({
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
        for (const session of this.#sessions.get(done) ?? []) void session.close();
        this.#sessions.delete(done);
      },
    });
    this.#inFlight.add(exchange);
    return exchange;
  }

  /** The exchange each session's messages go to (a subscription holder's changes on unsubscribe). */
  readonly #targets = new WeakMap<Transport, Exchange>();
  /** The sessions each exchange closes when it is done. */
  readonly #sessions = new Map<Exchange, Transport[]>();

  /**
   * Where a request goes: the POST's session, except that each subscribe gets a session of its own
   * that holds the subscription (core counts them per session) until an unsubscribe closes it.
   */
  async #sessionFor(
    shared: Shared,
    exchange: Exchange,
    session: Transport,
    message: JSONRPCMessage,
  ): Promise<Transport> {
    const method = (message as { method?: string }).method;
    const uri = (message as { params?: { uri?: unknown } }).params?.uri;
    if (typeof uri !== "string") return session;
    if (method === "resources/subscribe") {
      const holder = await this.#open(shared, exchange, false);
      this.#holders.set(uri, [...(this.#holders.get(uri) ?? []), holder]);
      const release = holder.onclose;
      holder.onclose = () => {
        release?.();
        const left = (this.#holders.get(uri) ?? []).filter((h) => h !== holder);
        if (left.length > 0) this.#holders.set(uri, left);
        else this.#holders.delete(uri);
      };
      return holder;
    }
    if (method !== "resources/unsubscribe") return session;
    const holder = this.#holders.get(uri)?.pop();
    if (!holder) return session;
    // Answered on the holder, which then closes with this exchange.
    this.#targets.set(holder, exchange);
    this.#sessions.get(exchange)?.push(holder);
    return holder;
  }

  /** A virtual session on the shared upstream for one POST's requests, closed when they are answered. */
  async #open(shared: Shared, exchange: Exchange, closeWithExchange = true): Promise<Transport> {
    const session = shared.upstream.connect({ joining: shared.primer });
    this.#targets.set(session, exchange);
    if (closeWithExchange)
      this.#sessions.set(exchange, [...(this.#sessions.get(exchange) ?? []), session]);
    session.onmessage = (message) => {
      let exchange = this.#targets.get(session);
      if (!exchange) return;
      const kind = classifyMessage(message);
      const method = (message as { method?: string }).method;
      if (method === "notifications/resources/updated" && !exchange.canStream) {
        // A subscription's POST is long over: the only request in flight, if one, is the best guess
        // (once, from the first of the uri's holders).
        const uri = (message as { params?: { uri?: unknown } }).params?.uri;
        const first = this.#holders.get(String(uri))?.[0] === session;
        const only = soleMatch(this.#inFlight);
        if (first && only) exchange = only;
      }
      if (kind === "response" || kind === "error" || exchange.canStream) {
        if (kind === "request") this.#serverRequests.set(String(messageId(message)), session);
        exchange.deliver(message);
        // A subscription holder whose subscribe failed holds nothing.
        if (kind === "error" && !closeWithExchange) void session.close();
        return;
      }
      this.#logger.debug("stateless: server message with no request to route to", { method });
      if (kind === "request") {
        // Do not leave the upstream waiting for an answer no client will give.
        const answer = answerUnattributed(messageId(message) as RequestId, method ?? "");
        void session.send(answer).catch(() => undefined);
      }
    };
    session.onclose = () => {
      for (const [id, owner] of this.#serverRequests)
        if (owner === session) this.#serverRequests.delete(id);
    };
    await session.start();
    return session;
  }

  /** A client's answer to a server request, which went out on the session of an earlier POST. */
  #answer(message: JSONRPCMessage, options: UpstreamSendOptions): void {
    const id = String(messageId(message));
    const owner = this.#serverRequests.get(id);
    this.#serverRequests.delete(id);
    if (!owner) {
      this.#logger.debug("stateless: dropped an answer to no pending server request");
      return;
    }
    owner.send(message, options).catch((error: unknown) => {
      this.#logger.warn("send to shared upstream failed", { error });
    });
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
          { cause },
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
    const upstream = new SharedUpstream({
      // One SharedUpstream per upstream: when it dies, the next request opens a fresh one.
      createTransport: () => opened.transport,
      logger: this.#logger,
      // Stateless requests declare no capabilities of their own (no session ties them to an
      // initialize), so the upstream serves every one of them: see the README's attribution limits.
      exclusiveInteractive: false,
      idleTimeoutMs: 0,
    });
    const primer = upstream.connect();
    let info: SessionInfo | undefined;
    let current: Shared | undefined;
    primer.onclose = () => {
      if (info) reportClosed(this.#options, this.#logger, info);
      // The next request starts a fresh shared upstream. (While starting, #shared may be the
      // start that is failing: its rejection is the request's to report, not this handler's.)
      void this.#shared?.then(
        (shared) => {
          if (shared === current) this.#shared = undefined;
        },
        () => undefined,
      );
    };
    const response = new Promise<JSONRPCMessage>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new McpProxyError(ErrorCodes.TIMEOUT, "The shared upstream did not answer initialize"),
          ),
        DEFAULT_INITIALIZE_TIMEOUT_MS,
      );
      timer.unref();
      primer.onmessage = (message) => {
        if (messageId(message) !== "init") return;
        clearTimeout(timer);
        resolve(message);
      };
      const closed = primer.onclose;
      primer.onclose = () => {
        clearTimeout(timer);
        reject(new McpProxyError(ErrorCodes.UPSTREAM_CLOSED, "The shared upstream closed"));
        closed?.();
      };
    });
    response.catch(() => undefined); // awaited below unless start or send fails first
    try {
      await primer.start();
      await primer.send({
        jsonrpc: "2.0",
        id: "init",
        method: "initialize",
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          // Advertise what clients may answer; each server request is routed to one client.
          capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
          clientInfo: { name: "mcp-proxy-stateless", version: "1.0.0" },
        },
      });
      const answer = await response;
      if (!("result" in answer)) {
        const reason = (answer as { error?: { message?: unknown } }).error?.message;
        throw new McpProxyError(
          ErrorCodes.UPSTREAM_CLOSED,
          `The shared upstream failed initialize${typeof reason === "string" ? `: ${reason}` : ""}`,
        );
      }
      const initResult = answer.result as InitializeResult;
      await primer.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      current = { upstream, primer, initResult };
    } catch (error) {
      await upstream.close();
      throw error;
    }
    const connected: SessionInfo = {
      transport: "stateless",
      server: opened.server,
      upstream: opened.source,
    };
    try {
      await this.#options.onConnect?.(connected);
    } catch (error) {
      // A refusing onConnect leaves nothing running (and gets no onClose).
      await upstream.close();
      throw error;
    }
    info = connected;
    this.#negotiated = current.initResult.protocolVersion;
    return current;
  }
}

/** Agrees on the client's version when the upstream's is at least as new; never on one we do not speak. */
function initializeAnswer(result: InitializeResult, request: JSONRPCMessage): InitializeResult {
  const requested = (request as { params?: { protocolVersion?: unknown } }).params?.protocolVersion;
  const version =
    typeof requested === "string" &&
    SUPPORTED_PROTOCOL_VERSIONS.includes(requested) &&
    requested <= result.protocolVersion
      ? requested
      : result.protocolVersion;
  return { ...result, protocolVersion: version };
}

function errorFor(id: RequestId, message: string): JSONRPCMessage {
  return jsonRpcError(id, JsonRpcErrorCodes.CONNECTION_CLOSED, message) as JSONRPCMessage;
}
