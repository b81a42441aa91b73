// One upstream behind SharedUpstream: the transport that the sessions of one
// client capability profile share, and the routing that keeps them apart
// (request ids, progress tokens, subscriptions, server-to-client requests, log
// levels), with the interactive gate that keeps server-to-client requests
// attributable. Nothing is broadcast unless it is a global fact (list_changed).
// See shared-upstream.ts for the rules.
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, JsonRpcErrorCodes, McpProxyError, toWireError } from "./errors.js";
import { classifyMessage, jsonRpcError } from "./jsonrpc.js";
import type { Logger } from "./logger.js";
import { INPUT_CAPABLE_METHODS } from "./protocol/mrtr.js";
import { type HeldCall, InteractiveGate } from "./shared-upstream-gate.js";
import {
  admits,
  isLoggingLevel,
  type LoggingLevel,
  mostVerbose,
} from "./shared-upstream-levels.js";
import { type ForwardedKind, ForwardedRequests } from "./shared-upstream-requests.js";
import type { SessionHub, SharedSessionTransport } from "./shared-upstream-session.js";
import { soleMatch } from "./sole-match.js";
import { answerUnattributed } from "./unattributed.js";
import { UriHolders } from "./uri-holders.js";

type Message = { jsonrpc: "2.0"; id?: RequestId; method?: string; params?: Params } & Record<
  string,
  unknown
>;
type Params = Record<string, unknown> & { _meta?: Record<string, unknown> };

/** Prefix of ids the hub sends on its own behalf; their answers are consumed here. */
const INTERNAL_PREFIX = "mcp-proxy-internal-";

export class SharedUpstreamHub implements SessionHub {
  readonly sessions = new Set<SharedSessionTransport>();
  #dead = false;
  #started: Promise<void> | undefined;
  readonly #transport: Transport;
  readonly #logger: Logger;
  readonly #onDead: (hub: SharedUpstreamHub) => void;
  readonly #requests = new ForwardedRequests();
  readonly #subscriptions = new UriHolders<SharedSessionTransport>();
  /** Server-to-client requests in flight: key of the upstream id -> session and its local id. */
  readonly #serverRequests = new Map<
    string,
    { session: SharedSessionTransport; localId: string }
  >();
  #nextServerRequest = 1;
  #nextInternal = 1;
  #initResult: Record<string, unknown> | undefined;
  /** The upstream id of the initialize in flight: its answer fills the cache even if its session left. */
  #initId: string | undefined;
  #initPending: Promise<void> | undefined;
  #initDone: (() => void) | undefined;
  #initializedSent = false;
  #sentLevel: LoggingLevel | undefined;
  /** With `exclusive`: whose interactive calls may run; a server-to-client request belongs to it. */
  readonly #gate = new InteractiveGate();
  readonly #exclusive: boolean;
  /** When the last session left (for stopping idle hubs); undefined while sessions are attached. */
  idleSince: number | undefined = Date.now();

  /**
   * `exclusive`: the upstream was initialised with capabilities that let the server ask the client
   * something, so interactive calls of different sessions must not overlap.
   */
  constructor(
    transport: Transport,
    logger: Logger,
    onDead: (hub: SharedUpstreamHub) => void,
    exclusive = false,
  ) {
    this.#transport = transport;
    this.#logger = logger;
    this.#onDead = onDead;
    this.#exclusive = exclusive;
    transport.onmessage = (message, extra) =>
      this.#fromUpstream(message as Message, this.#relatedSession(extra));
    transport.onclose = () => this.#die();
    transport.onerror = (error) =>
      this.#logger.debug("shared upstream transport error", { error: error.message });
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Takes `session` in: from now on its messages come here. */
  adopt(session: SharedSessionTransport): void {
    session.bind(this);
    this.sessions.add(session);
    this.idleSince = undefined;
  }

  start(): Promise<void> {
    if (this.#dead) return Promise.reject(goneError());
    this.#started ??= this.#transport.start().catch((error: unknown) => {
      this.#die();
      throw error;
    });
    return this.#started;
  }

  async fromSession(
    session: SharedSessionTransport,
    message: JSONRPCMessage,
    options?: TransportSendOptions,
  ): Promise<void> {
    const m = message as Message;
    switch (classifyMessage(m)) {
      case "request":
        return this.#request(session, m, options);
      case "notification":
        return this.#notification(session, m, options);
      case "response":
      case "error":
        return this.#answerFromSession(session, m, options);
      default:
        this.#logger.debug("shared upstream: dropped an invalid message from a session");
    }
  }

  detach(session: SharedSessionTransport): void {
    this.sessions.delete(session);
    if (this.sessions.size === 0) this.idleSince = Date.now();
    if (this.#dead) return;
    this.#gate.leave(session);
    for (const upstreamId of [...session.inFlight]) {
      // initialize must not be cancelled (spec); its answer still fills the cache (#initId).
      if (this.#requests.forget(upstreamId)?.kind === "initialize") continue;
      this.#send({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: upstreamId, reason: "the client's session ended" },
      });
    }
    this.#settled(session);
    for (const uri of session.subscriptions) this.#unsubscribeOne(session, uri, undefined);
    for (const upstreamId of session.serverRequests.values()) {
      this.#serverRequests.delete(keyOf(upstreamId));
      this.#send(
        jsonRpcError(upstreamId, JsonRpcErrorCodes.CONNECTION_CLOSED, "The client's session ended"),
      );
    }
    session.serverRequests.clear();
    if (session.level !== undefined) this.#syncLevel();
  }

  /** Closes every session and the upstream transport. */
  async close(): Promise<void> {
    this.#die();
    await this.#transport.close().catch(() => {});
  }

  // ---- client -> upstream -------------------------------------------------

  #request(
    session: SharedSessionTransport,
    m: Message,
    options: TransportSendOptions | undefined,
  ): Promise<void> {
    switch (m.method) {
      case "initialize":
        return this.#initialize(session, m);
      case "logging/setLevel":
        return this.#setLevel(session, m);
      case "resources/subscribe":
        return this.#subscribe(session, m, options);
      case "resources/unsubscribe":
        return this.#unsubscribe(session, m, options);
      default:
        if (!this.#exclusive || !INPUT_CAPABLE_METHODS.has(m.method as string)) {
          return this.#forward(session, m, options);
        }
        return this.#interactive({ session, message: m as HeldCall["message"], options });
    }
  }

  /**
   * An interactive call runs when its session holds the gate (or takes it, when free); otherwise
   * it waits, and the send resolves at once so the session's other messages are not held up.
   */
  async #interactive(call: HeldCall): Promise<void> {
    if (!this.#gate.enter(call)) return;
    await this.#forward(call.session, call.message as Message, call.options, "interactive");
  }

  /** A request of `session` ended: a gate holder with no interactive call left lets the next in. */
  #settled(session: SharedSessionTransport): void {
    if (this.#gate.holder !== session || this.#requests.hasInteractive(session)) return;
    for (const call of this.#gate.release()) {
      this.#interactive(call).catch((error: unknown) =>
        call.session.deliver(
          jsonRpcError(call.message.id, toWireError(error).jsonRpcCode, "Upstream unavailable"),
        ),
      );
    }
  }

  async #forward(
    session: SharedSessionTransport,
    m: Message,
    options?: TransportSendOptions,
    kind: ForwardedKind = "plain",
    uri?: string,
  ): Promise<void> {
    const token = m.params?._meta?.progressToken;
    const upstreamId = this.#requests.add({
      session,
      originalId: m.id as RequestId,
      token,
      kind,
      ...(uri === undefined ? {} : { uri }),
    });
    if (kind === "initialize") this.#initId = upstreamId;
    const out: Message = { ...m, id: upstreamId };
    if (token !== undefined && m.params) {
      // Clients pick tokens independently (the SDK uses its request id): make them unique upstream.
      out.params = { ...m.params, _meta: { ...m.params._meta, progressToken: upstreamId } };
    }
    try {
      await this.#transport.send(out as JSONRPCMessage, options);
    } catch (error) {
      this.#requests.forget(upstreamId);
      this.#settled(session);
      throw error;
    }
  }

  async #initialize(session: SharedSessionTransport, m: Message): Promise<void> {
    if (this.#initResult) {
      // The upstream negotiated once; a later session gets the same answer. Its protocolVersion
      // is the one the upstream agreed to: we never agree to a version the upstream did not.
      session.deliver({ jsonrpc: "2.0", id: m.id, result: this.#initResult });
      return;
    }
    if (this.#initPending) {
      // Another session is initialising the upstream: answer this one when that is done.
      void this.#initPending.then(() => {
        if (session.closed) return;
        if (this.#dead && !this.#initResult) {
          session.deliver(upstreamGoneError(m.id as RequestId));
          return;
        }
        this.#initialize(session, m).catch(() =>
          session.deliver(upstreamGoneError(m.id as RequestId)),
        );
      });
      return;
    }
    this.#initPending = new Promise((resolve) => {
      this.#initDone = resolve;
    });
    try {
      await this.#forward(session, m, undefined, "initialize");
    } catch (error) {
      this.#settleInit(undefined);
      throw error;
    }
  }

  #settleInit(result: Record<string, unknown> | undefined): void {
    if (result) this.#initResult = result;
    this.#initId = undefined;
    const done = this.#initDone;
    this.#initPending = undefined;
    this.#initDone = undefined;
    done?.();
  }

  async #setLevel(session: SharedSessionTransport, m: Message): Promise<void> {
    const level = m.params?.level;
    if (!isLoggingLevel(level)) {
      session.deliver(jsonRpcError(m.id, JsonRpcErrorCodes.INVALID_PARAMS, "Unknown log level"));
      return;
    }
    session.level = level;
    session.deliver({ jsonrpc: "2.0", id: m.id, result: {} });
    this.#syncLevel();
  }

  /** Asks the upstream for the most verbose level any session wants (each session is filtered). */
  #syncLevel(): void {
    const level = mostVerbose([...this.sessions].map((s) => s.level));
    if (level === undefined || level === this.#sentLevel) return;
    this.#sentLevel = level;
    this.#send({
      jsonrpc: "2.0",
      id: `${INTERNAL_PREFIX}${this.#nextInternal++}`,
      method: "logging/setLevel",
      params: { level },
    });
  }

  async #subscribe(
    session: SharedSessionTransport,
    m: Message,
    options: TransportSendOptions | undefined,
  ): Promise<void> {
    const uri = m.params?.uri;
    if (typeof uri !== "string") return this.#forward(session, m, options);
    const first = this.#subscriptions.add(uri, session);
    session.subscriptions.add(uri);
    // Reference-counted: only the first subscriber's request reaches the upstream.
    if (first) return this.#forward(session, m, options, "subscribe", uri);
    session.deliver({ jsonrpc: "2.0", id: m.id, result: {} });
  }

  async #unsubscribe(
    session: SharedSessionTransport,
    m: Message,
    options: TransportSendOptions | undefined,
  ): Promise<void> {
    const uri = m.params?.uri;
    if (typeof uri !== "string") return this.#forward(session, m, options);
    if (!session.subscriptions.has(uri)) {
      session.deliver({ jsonrpc: "2.0", id: m.id, result: {} });
      return;
    }
    this.#unsubscribeOne(session, uri, m, options);
  }

  /** Drops one session's subscription; the last one out unsubscribes upstream (with `m` if given). */
  #unsubscribeOne(
    session: SharedSessionTransport,
    uri: string,
    m: Message | undefined,
    options?: TransportSendOptions,
  ): void {
    session.subscriptions.delete(uri);
    const last = this.#subscriptions.remove(uri, session);
    if (m && last) {
      this.#forward(session, m, options).catch((error: unknown) =>
        session.deliver(jsonRpcError(m.id, toWireError(error).jsonRpcCode, "Unsubscribe failed")),
      );
      return;
    }
    if (m) session.deliver({ jsonrpc: "2.0", id: m.id, result: {} });
    else if (last) {
      this.#send({
        jsonrpc: "2.0",
        id: `${INTERNAL_PREFIX}${this.#nextInternal++}`,
        method: "resources/unsubscribe",
        params: { uri },
      });
    }
  }

  async #notification(
    session: SharedSessionTransport,
    m: Message,
    options: TransportSendOptions | undefined,
  ): Promise<void> {
    if (m.method === "notifications/initialized") {
      // The upstream was initialised once: later sessions' initialized would be a protocol error.
      if (this.#initializedSent || !this.#initResult) return;
      this.#initializedSent = true;
    } else if (m.method === "notifications/cancelled") {
      const requestId = m.params?.requestId;
      if (requestId === undefined) return;
      // Cancelled while waiting for the gate: it never reached the upstream.
      if (this.#gate.drop(session, requestId)) return;
      const upstreamId = this.#requests.idOf(session, requestId);
      if (upstreamId === undefined || this.#requests.get(upstreamId)?.kind === "initialize") return;
      // A cancelled request gets no answer (spec): forget it now.
      this.#requests.forget(upstreamId);
      this.#settled(session);
      await this.#transport.send(
        { ...m, params: { ...m.params, requestId: upstreamId } } as JSONRPCMessage,
        options,
      );
      return;
    }
    await this.#transport.send(m as JSONRPCMessage, options);
  }

  /** A session answers a server-to-client request: restore the upstream's id. */
  async #answerFromSession(
    session: SharedSessionTransport,
    m: Message,
    options: TransportSendOptions | undefined,
  ): Promise<void> {
    const localId = String(m.id);
    const upstreamId = session.serverRequests.get(localId);
    if (upstreamId === undefined) {
      this.#logger.debug("shared upstream: dropped an answer to no pending server request");
      return;
    }
    session.serverRequests.delete(localId);
    this.#serverRequests.delete(keyOf(upstreamId));
    await this.#transport.send({ ...m, id: upstreamId } as JSONRPCMessage, options);
  }

  // ---- upstream -> client -------------------------------------------------

  /** The session whose request an upstream message says it belongs to (e.g. an in-process server). */
  #relatedSession(extra: unknown): SharedSessionTransport | undefined {
    const related = (extra as { relatedRequestId?: RequestId } | undefined)?.relatedRequestId;
    return related === undefined ? undefined : this.#requests.get(String(related))?.session;
  }

  #fromUpstream(m: Message, related: SharedSessionTransport | undefined): void {
    switch (classifyMessage(m)) {
      case "response":
      case "error":
        this.#answerFromUpstream(m);
        return;
      case "request":
        this.#serverRequest(m, related);
        return;
      case "notification":
        this.#upstreamNotification(m, related);
        return;
      default:
        this.#logger.debug("shared upstream: dropped an invalid message from the upstream");
    }
  }

  #answerFromUpstream(m: Message): void {
    const id = m.id;
    if (typeof id === "string" && id.startsWith(INTERNAL_PREFIX)) {
      if ("error" in m)
        this.#logger.debug("shared upstream: internal request failed", { error: m.error });
      return;
    }
    if (id === this.#initId) {
      this.#settleInit("result" in m ? (m.result as Record<string, unknown>) : undefined);
    }
    const record = this.#requests.forget(id);
    if (!record) return;
    const session = record.session;
    if (record.kind === "subscribe" && !("result" in m)) {
      this.#unsubscribeOne(session, record.uri as string, undefined);
    }
    session.deliver({ ...m, id: record.originalId });
    if (record.kind === "interactive") this.#settled(session);
  }

  #serverRequest(m: Message, related: SharedSessionTransport | undefined): void {
    if (m.method === "ping") {
      this.#send({ jsonrpc: "2.0", id: m.id as RequestId, result: {} });
      return;
    }
    // Over stdio nothing ties a server request to the client request that caused it. With the
    // interactive gate it belongs to the session holding it; without (a profile that lets the
    // server ask nothing, or stateless mode) to the one session with requests in flight. What no
    // call caused is answered here, and no session's call fails for it.
    const session = related ?? (this.#exclusive ? this.#gate.holder : this.#onlySessionInFlight());
    if (!session) {
      this.#logger.debug("shared upstream: answering a server request no client call caused", {
        method: m.method,
      });
      this.#send(answerUnattributed(m.id as RequestId, m.method as string));
      return;
    }
    const localId = `s${this.#nextServerRequest++}`;
    session.serverRequests.set(localId, m.id as RequestId);
    this.#serverRequests.set(keyOf(m.id as RequestId), { session, localId });
    session.deliver({ ...m, id: localId });
  }

  #upstreamNotification(m: Message, related: SharedSessionTransport | undefined): void {
    const method = m.method as string;
    if (method === "notifications/progress") {
      const record = this.#requests.get(m.params?.progressToken);
      if (record?.token === undefined) return;
      record.session.deliver({ ...m, params: { ...m.params, progressToken: record.token } });
      return;
    }
    if (method === "notifications/cancelled") {
      const key = keyOf(m.params?.requestId as RequestId);
      const target = this.#serverRequests.get(key);
      if (!target) return;
      this.#serverRequests.delete(key);
      target.session.serverRequests.delete(target.localId);
      target.session.deliver({ ...m, params: { ...m.params, requestId: target.localId } });
      return;
    }
    if (method === "notifications/resources/updated") {
      const subscribers = this.#subscriptions.holders(String(m.params?.uri));
      // Nobody subscribed through us (servers may notify unasked): to the session that caused it.
      const cause = subscribers ? undefined : (related ?? this.#onlySessionInFlight());
      for (const session of subscribers ?? (cause ? [cause] : [])) session.deliver(m);
      return;
    }
    if (method === "notifications/message") {
      // To the one session in flight (it most likely caused it); otherwise only to sessions that
      // asked for logs with logging/setLevel. Each gets what its own level admits.
      const only = related ?? this.#onlySessionInFlight();
      const targets = only ? [only] : [...this.sessions].filter((s) => s.level !== undefined);
      for (const session of targets) {
        if (admits(session.level, m.params?.level)) session.deliver(m);
      }
      return;
    }
    if (method.endsWith("/list_changed")) {
      for (const session of this.sessions) session.deliver(m);
      return;
    }
    // Anything else we do not understand: to the one session in flight, else to every session.
    const only = related ?? this.#onlySessionInFlight();
    for (const session of only ? [only] : this.sessions) session.deliver(m);
  }

  #onlySessionInFlight(): SharedSessionTransport | undefined {
    return soleMatch(this.sessions, (s) => s.inFlight.size > 0);
  }

  // ---- lifecycle ----------------------------------------------------------

  /** The upstream is gone: fail every pending request, end every session. Idempotent. */
  #die(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#onDead(this);
    for (const session of this.sessions) {
      for (const upstreamId of [...session.inFlight]) {
        const record = this.#requests.forget(upstreamId);
        if (record) session.deliver(upstreamGoneError(record.originalId));
      }
    }
    this.#settleInit(undefined);
    for (const held of this.#gate.clear()) held.session.deliver(upstreamGoneError(held.message.id));
    const sessions = [...this.sessions];
    this.sessions.clear();
    for (const session of sessions) session.end();
  }

  /** Fire-and-forget send for the hub's own messages; a dead upstream is handled by onclose. */
  #send(message: unknown): void {
    if (this.#dead) return;
    this.#transport.send(message as JSONRPCMessage).catch((error: unknown) => {
      this.#logger.debug("shared upstream: send failed", {
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }
}

const keyOf = (id: RequestId): string => `${typeof id}:${id}`;

const goneError = () =>
  new McpProxyError(ErrorCodes.UPSTREAM_CLOSED, "Upstream closed: the shared upstream ended");

function upstreamGoneError(id: RequestId) {
  const wire = toWireError(goneError());
  return jsonRpcError(id, wire.jsonRpcCode, wire.message);
}
