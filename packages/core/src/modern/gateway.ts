// The transport-agnostic half of serving MCP 2026-07-28 clients in front of a
// 2025-era (or modern) upstream: shared, already-initialised upstreams with id
// remapping; server/discover from the handshake; resultType and serverInfo on
// results; MRTR for server->client requests; subscriptions/listen mapped onto
// upstream notifications. The HTTP layer only parses, validates headers, and
// turns a sink into a JSON body or an SSE stream.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResultResponse,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, JsonRpcErrorCodes, McpProxyError, toWireError } from "../errors.js";
import { jsonRpcError } from "../jsonrpc.js";
import { type Logger, silentLogger } from "../logger.js";
import { MISSING_REQUIRED_CLIENT_CAPABILITY, validateModernMeta } from "./headers.js";
import {
  DEFAULT_MAX_PENDING_EXCHANGES,
  DEFAULT_PENDING_EXCHANGE_TTL_MS,
  ExchangeStore,
  INPUT_CAPABLE_METHODS,
  INPUT_METHODS,
  missingCapability,
} from "./mrtr.js";
import {
  agreedFilter,
  isSubscriptionNotification,
  type Listener,
  SubscriptionRegistry,
} from "./subscriptions.js";
import { completeResult, progressTokenOf, upstreamRequest } from "./translate.js";
import { Upstream, type UpstreamIdentity, type UpstreamProtocol } from "./upstream.js";
import { META, MODERN_PROTOCOL_VERSIONS, requestMeta } from "./versions.js";

/** Where the gateway delivers what belongs to one modern request. */
export interface ModernSink {
  /** A request-scoped notification (progress, log) or, for listen, a change notification. */
  notify(notification: JSONRPCNotification): void;
  /** The final answer; called at most once per handle()/listen() call. */
  respond(message: JSONRPCResultResponse | JSONRPCErrorResponse): void;
}

export interface ModernGatewayOptions {
  /** Creates a fresh upstream transport (e.g. a ChildProcessTransport); the gateway starts and closes it. */
  createUpstream: () => Transport;
  /** How to open the upstream: 2025 `initialize`, a `server/discover` probe with fallback, or modern only. */
  upstreamProtocol?: UpstreamProtocol;
  /** Most upstreams kept at once; more than one lets concurrent interactive requests each have their own (MRTR attribution). */
  maxUpstreams?: number;
  /** Versions accepted from modern clients. */
  supportedVersions?: readonly string[];
  /**
   * Versions listed by `server/discover` and -32022 errors; default
   * `supportedVersions`. A dual-era endpoint adds the legacy versions it serves.
   */
  advertisedVersions?: readonly string[];
  /** Cap on parked MRTR exchanges across all clients. */
  maxPendingExchanges?: number;
  /** How long a parked exchange waits for the client's retry. */
  pendingExchangeTtlMs?: number;
  /** Timeout of the upstream's `initialize` answer. */
  initializeTimeoutMs?: number;
  /** Timeout of the `server/discover` probe in "auto" mode (no answer means legacy). */
  probeTimeoutMs?: number;
  /** Timeout of the gateway's own upstream requests (resources/subscribe, tools/list). */
  requestTimeoutMs?: number;
  /** Upstream failures (exits, failed starts) tolerated within `restartWindowMs` before the gateway is unhealthy. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** How the gateway introduces itself to the upstream. */
  clientInfo?: { name: string; version: string };
  logger?: Logger;
}

export const DEFAULT_UPSTREAM_PROTOCOL: UpstreamProtocol = "legacy";
export const DEFAULT_MAX_UPSTREAMS = 1;
export const DEFAULT_INITIALIZE_TIMEOUT_MS = 30_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
export const DEFAULT_GATEWAY_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESTARTS = 3;
export const DEFAULT_RESTART_WINDOW_MS = 60_000;
export const DEFAULT_GATEWAY_CLIENT_INFO = { name: "mcp-proxy", version: "1.0.0" };

/** Methods 2026-07-28 removed; a modern client sending them gets -32601. */
const REMOVED_METHODS: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "logging/setLevel",
  "resources/subscribe",
  "resources/unsubscribe",
]);
const LOG_RANK: Readonly<Record<string, number>> = {
  debug: 0,
  info: 1,
  notice: 2,
  warning: 3,
  error: 4,
  critical: 5,
  alert: 6,
  emergency: 7,
};
const MAX_TOOL_PAGES = 20;
/** How long fetched tool input schemas are trusted without a list_changed. */
const TOOL_SCHEMA_TTL_MS = 60_000;
const MAX_STATE_ROUTES = 1000;
/** Quiet period that gathers server->client requests sent together into one input_required. */
const INPUT_BATCH_QUIET_MS = 10;
/** Longest the gathering may delay an input_required. */
const INPUT_BATCH_MAX_MS = 50;
/**
 * `_meta` key a 2025-era server may put on a server->client request to name
 * its inputRequests key (a legacy request has no way to say it otherwise);
 * removed before the request reaches the client.
 */
export const INPUT_KEY_META = "mcp-proxy/inputKey";

interface Round {
  clientId: RequestId;
  sink: ModernSink;
  progressToken: RequestId | undefined;
  logLevel: string | undefined;
  finish(): void;
  detach(): void;
}

interface PendingInput {
  serverId: RequestId;
  method: string;
  params: Record<string, unknown> | undefined;
}

/** One client request as the upstream sees it, across MRTR rounds. */
interface Call {
  upstream: Upstream<Call>;
  upstreamId: string;
  method: string;
  /** params.name or params.uri: a retry must name the same thing. */
  target: unknown;
  interactive: boolean;
  capabilities: Record<string, unknown>;
  round: Round | undefined;
  inputs: Map<string, PendingInput>;
  nextInput: number;
  flushTimer: NodeJS.Timeout | undefined;
  flushStarted: number | undefined;
  ended: boolean;
  /** The upstream's answer when it arrived while the call was parked. */
  final: JSONRPCMessage | undefined;
}

type Slot = { upstream: Upstream<Call>; ready: Promise<void> };

/**
 * Serves modern (2026-07-28) requests from shared upstreams. `handle()` and
 * `listen()` never throw: every outcome goes to the sink.
 *
 * Attribution rules (a stdio upstream's messages carry no request context):
 * - progress is routed by progress token (each request gets its own upstream
 *   token, mapped back to the caller's);
 * - `notifications/message` goes to a request only when it asked for logs
 *   (`_meta` logLevel) at or below the message's level and it is the single
 *   request in flight on that (2025-era) upstream, or the single one that asked
 *   (modern upstream, which logs only for requests that asked); otherwise it
 *   is dropped, never broadcast;
 * - a server->client request (sampling, elicitation, roots) belongs to the
 *   single MRTR-capable request (tools/call, prompts/get, resources/read) in
 *   flight on that upstream, or, with several (parked exchanges included),
 *   to the single one a client is waiting on; otherwise the upstream gets an
 *   error. Routing avoids that when `maxUpstreams` > 1 by
 *   giving each concurrent MRTR-capable request an upstream of its own; with
 *   one shared upstream (the default, which keeps a stateful server's state in
 *   one process) concurrent interactive calls can hit that limitation;
 * - change notifications go only to listeners that opted into them.
 *
 * A requestState is single-use, random (192 bits), bound to the original
 * method and name/uri, and expires after `pendingExchangeTtlMs`; it is not
 * bound to an authenticated principal (the gateway knows none).
 */
export class ModernGateway {
  readonly #o: Required<Omit<ModernGatewayOptions, "logger" | "advertisedVersions">> & {
    logger: Logger;
    advertisedVersions: readonly string[] | undefined;
  };
  readonly #slots: Slot[] = [];
  readonly #exchanges: ExchangeStore<Call>;
  readonly #subscriptions = new SubscriptionRegistry();
  readonly #stateRoutes = new Map<string, Upstream<Call>>();
  readonly #failures: number[] = [];
  readonly #listenEnds = new Set<() => void>();
  #era: "legacy" | "modern" | undefined;
  #identity: UpstreamIdentity | undefined;
  #tools: Promise<Map<string, unknown>> | undefined;
  #toolsAt = 0;
  #closed = false;
  #probeKilled = false;
  #closing: Promise<void> | undefined;

  constructor(options: ModernGatewayOptions) {
    this.#o = {
      upstreamProtocol: DEFAULT_UPSTREAM_PROTOCOL,
      maxUpstreams: DEFAULT_MAX_UPSTREAMS,
      supportedVersions: MODERN_PROTOCOL_VERSIONS,
      maxPendingExchanges: DEFAULT_MAX_PENDING_EXCHANGES,
      pendingExchangeTtlMs: DEFAULT_PENDING_EXCHANGE_TTL_MS,
      initializeTimeoutMs: DEFAULT_INITIALIZE_TIMEOUT_MS,
      probeTimeoutMs: DEFAULT_PROBE_TIMEOUT_MS,
      requestTimeoutMs: DEFAULT_GATEWAY_REQUEST_TIMEOUT_MS,
      maxRestarts: DEFAULT_MAX_RESTARTS,
      restartWindowMs: DEFAULT_RESTART_WINDOW_MS,
      clientInfo: DEFAULT_GATEWAY_CLIENT_INFO,
      logger: silentLogger,
      advertisedVersions: undefined,
      ...stripUndefined(options),
      createUpstream: options.createUpstream,
    };
    this.#exchanges = new ExchangeStore<Call>(
      this.#o.maxPendingExchanges,
      this.#o.pendingExchangeTtlMs,
      (call) => this.#expire(call),
    );
  }

  /** False once closed, or while upstream failures exceed `maxRestarts` within `restartWindowMs`. */
  get healthy(): boolean {
    return !this.#closed && this.#recentFailures() <= this.#o.maxRestarts;
  }

  /** The era of the upstream once known (after the first successful start). */
  get upstreamEra(): "legacy" | "modern" | undefined {
    return this.#era;
  }

  /** Versions accepted from modern clients. */
  get supportedVersions(): readonly string[] {
    return this.#o.supportedVersions;
  }

  get #advertised(): readonly string[] {
    return this.#o.advertisedVersions ?? this.#o.supportedVersions;
  }

  /** Starts the first upstream now (otherwise the first request does); rejects if it cannot. */
  async start(): Promise<void> {
    await this.#acquire(undefined);
  }

  /**
   * Handles one modern JSON-RPC request. Resolves once the sink has its
   * answer, or once `signal` aborted (then nothing more is sent for it and
   * the upstream gets notifications/cancelled).
   */
  async handle(request: JSONRPCRequest, sink: ModernSink, signal?: AbortSignal): Promise<void> {
    const checked = validateModernMeta(request, this.#o.supportedVersions, this.#advertised);
    if (!checked.ok) return safeRespond(sink, checked.jsonRpcError as JSONRPCErrorResponse);
    if (this.#closed) return safeRespond(sink, closedError(request.id));
    if (request.method === "subscriptions/listen") return this.listen(request, sink, signal);
    if (signal?.aborted) return;
    if (this.#era === undefined) {
      try {
        await this.#acquire(undefined);
      } catch (error) {
        return safeRespond(sink, wireError(request.id, error));
      }
    }
    const params = request.params as Record<string, unknown> | undefined;
    if (this.#era === "legacy") {
      if (request.method === "server/discover") return this.#discover(request, sink);
      if (REMOVED_METHODS.has(request.method)) {
        return safeRespond(
          sink,
          jsonRpcError(
            request.id,
            JsonRpcErrorCodes.METHOD_NOT_FOUND,
            `Method not found: ${request.method}`,
          ) as JSONRPCErrorResponse,
        );
      }
      const state = params?.requestState;
      if (state !== undefined) return this.#retry(request, sink, signal, state);
    }
    return this.#forward(request, sink, signal);
  }

  /**
   * Serves `subscriptions/listen`: acknowledges the opted-in kinds the
   * upstream supports, then forwards matching change notifications tagged with
   * the request id until `signal` aborts (releasing upstream subscriptions) or
   * the gateway closes (a graceful result).
   */
  async listen(request: JSONRPCRequest, sink: ModernSink, signal?: AbortSignal): Promise<void> {
    const checked = validateModernMeta(request, this.#o.supportedVersions, this.#advertised);
    if (!checked.ok) return safeRespond(sink, checked.jsonRpcError as JSONRPCErrorResponse);
    if (this.#closed) return safeRespond(sink, closedError(request.id));
    try {
      await this.#acquire(undefined);
    } catch (error) {
      return safeRespond(sink, wireError(request.id, error));
    }
    if (this.#era === "modern") return this.#forward(request, sink, signal);
    const filter = (request.params as Record<string, unknown> | undefined)?.notifications;
    if (typeof filter !== "object" || filter === null) {
      return safeRespond(
        sink,
        jsonRpcError(
          request.id,
          JsonRpcErrorCodes.INVALID_PARAMS,
          "subscriptions/listen needs params.notifications",
        ) as JSONRPCErrorResponse,
      );
    }
    const agreed = agreedFilter(filter, this.#identity?.capabilities ?? {});
    const listener: Listener = {
      id: request.id,
      filter: agreed,
      uris: new Set(agreed.resourceSubscriptions ?? []),
      acked: false,
      deliver: (n) => safeNotify(sink, n),
    };
    const fresh = this.#subscriptions.add(listener);
    await Promise.all(
      fresh.map((uri) => this.#allUpstreams((u) => this.#subscribe(u, "resources/subscribe", uri))),
    );
    const ended = new Promise<void>((resolve) => {
      let done = false;
      const end = (graceful: boolean) => {
        if (done) return;
        done = true;
        signal?.removeEventListener("abort", onAbort);
        this.#listenEnds.delete(onClose);
        for (const uri of this.#subscriptions.remove(listener)) {
          void this.#allUpstreams((u) => this.#subscribe(u, "resources/unsubscribe", uri));
        }
        if (graceful) {
          safeRespond(sink, {
            jsonrpc: "2.0",
            id: request.id,
            result: this.#complete(
              { _meta: { [META.subscriptionId]: request.id } },
              "subscriptions/listen",
            ),
          } as JSONRPCResultResponse);
        }
        resolve();
      };
      const onAbort = () => end(false);
      const onClose = () => end(true);
      if (signal?.aborted || this.#closed) return end(!signal?.aborted);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#listenEnds.add(onClose);
    });
    if (!signal?.aborted && !this.#closed) {
      safeNotify(sink, {
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: { notifications: agreed, _meta: { [META.subscriptionId]: request.id } },
      });
      listener.acked = true;
    }
    return ended;
  }

  /**
   * The inputSchema of an upstream tool (for `Mcp-Param-*` validation), from
   * a cache filled by `tools/list` and dropped on tools list_changed.
   */
  async toolInputSchema(name: string): Promise<unknown> {
    if (this.#tools && Date.now() - this.#toolsAt > TOOL_SCHEMA_TTL_MS) this.#tools = undefined;
    if (!this.#tools) {
      this.#toolsAt = Date.now();
      const fetching = this.#fetchTools();
      this.#tools = fetching;
      fetching.catch(() => {
        if (this.#tools === fetching) this.#tools = undefined;
      });
    }
    return (await this.#tools).get(name);
  }

  /** Closes every upstream (idempotent): in-flight requests get errors, listeners a graceful end. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      for (const end of [...this.#listenEnds]) end();
      this.#exchanges.clear();
      // A copy: closing an upstream removes its slot from the live list.
      await Promise.all([...this.#slots].map((slot) => slot.upstream.close()));
    })();
    return this.#closing;
  }

  // ---- upstream pool -------------------------------------------------------

  /**
   * Picks (or starts) an upstream. `interactive` marks a call that may trigger
   * server->client requests: it is registered at once so that concurrent picks
   * see it, and it prefers an upstream with no other such call in flight, since
   * a stdio upstream's request carries nothing to attribute it by.
   */
  async #acquire(call: Call | undefined): Promise<Upstream<Call>> {
    if (this.#closed) throw new McpProxyError(ErrorCodes.UPSTREAM_CLOSED, "Gateway closed");
    if (!this.healthy) {
      throw new McpProxyError(
        ErrorCodes.UPSTREAM_EXITED,
        "Upstream keeps failing; gateway unhealthy",
      );
    }
    const live = this.#slots.filter((s) => !s.upstream.closed);
    let slot: Slot | undefined;
    if (call?.interactive && this.#era !== "modern") {
      slot = live.find((s) => s.upstream.interactiveCalls.size === 0);
      if (!slot && live.length < this.#o.maxUpstreams) slot = this.#spawn();
      slot ??= live.reduce((a, b) =>
        b.upstream.interactiveCalls.size < a.upstream.interactiveCalls.size ? b : a,
      );
    } else {
      slot = live[0] ?? this.#spawn();
    }
    if (call) {
      call.upstream = slot.upstream;
      slot.upstream.calls.add(call);
      if (call.interactive) slot.upstream.interactiveCalls.add(call);
    }
    try {
      await slot.ready;
    } catch (error) {
      if (call) this.#endCall(call);
      throw error;
    }
    return slot.upstream;
  }

  #spawn(): Slot {
    const upstream = new Upstream<Call>(
      this.#o.createUpstream(),
      (u, m) => this.#onMessage(u, m),
      (u, e) => this.#onClosed(u, e),
    );
    const ready = upstream
      .start({
        protocol: this.#era ?? (this.#probeKilled ? "legacy" : this.#o.upstreamProtocol),
        clientInfo: this.#o.clientInfo,
        initializeTimeoutMs: this.#o.initializeTimeoutMs,
        probeTimeoutMs: this.#o.probeTimeoutMs,
      })
      .then((identity) => {
        this.#era ??= identity.era;
        this.#identity = identity;
        if (identity.era === "legacy") {
          for (const uri of this.#subscriptions.uris) {
            void this.#subscribe(upstream, "resources/subscribe", uri);
          }
        }
      });
    const slot: Slot = { upstream, ready };
    this.#slots.push(slot);
    const probing = this.#era === undefined && this.#o.upstreamProtocol === "auto";
    ready.catch((error: unknown) => {
      this.#o.logger.warn("upstream failed to start", { error });
      // A legacy server that dies on the unknown probe gets initialize next time.
      if (probing && upstream.closed && !upstream.identity) this.#probeKilled = true;
      this.#failures.push(Date.now());
      void upstream.close();
    });
    return slot;
  }

  #onClosed(upstream: Upstream<Call>, error: Error): void {
    const i = this.#slots.findIndex((s) => s.upstream === upstream);
    if (i !== -1) this.#slots.splice(i, 1);
    if (this.#closed) error = new McpProxyError(ErrorCodes.UPSTREAM_CLOSED, "Gateway closed");
    else if (upstream.identity) {
      this.#failures.push(Date.now());
      this.#o.logger.warn("upstream closed", { error });
    }
    this.#exchanges.dropWhere((call) => call.upstream === upstream);
    for (const [state, u] of this.#stateRoutes) if (u === upstream) this.#stateRoutes.delete(state);
    for (const call of [...upstream.calls]) {
      const round = call.round;
      this.#endCall(call);
      if (round) this.#answer(round, wireError(round.clientId, error));
    }
    upstream.remapper.drain();
    // Listeners outlive an upstream: bring up a replacement that re-subscribes.
    if (!this.#closed && this.#subscriptions.size > 0 && this.healthy && this.#slots.length === 0) {
      this.#acquire(undefined).catch(() => {});
    }
  }

  #recentFailures(): number {
    const since = Date.now() - this.#o.restartWindowMs;
    while (this.#failures.length > 0 && (this.#failures[0] as number) < since)
      this.#failures.shift();
    return this.#failures.length;
  }

  async #allUpstreams(fn: (u: Upstream<Call>) => Promise<void>): Promise<void> {
    await Promise.all(
      this.#slots
        .filter((s) => !s.upstream.closed && s.upstream.identity)
        .map((s) => fn(s.upstream)),
    );
  }

  async #subscribe(upstream: Upstream<Call>, method: string, uri: string): Promise<void> {
    try {
      await upstream.request(method, { uri }, this.#o.requestTimeoutMs);
    } catch (error) {
      // The server advertised subscribe; some send updates without it anyway.
      this.#o.logger.debug(`upstream ${method} failed`, { uri, error });
    }
  }

  // ---- requests ------------------------------------------------------------

  #discover(request: JSONRPCRequest, sink: ModernSink): void {
    const id = this.#identity as UpstreamIdentity;
    const result: Record<string, unknown> = {
      supportedVersions: [...this.#advertised],
      capabilities: id.capabilities,
    };
    if (id.instructions !== undefined) result.instructions = id.instructions;
    safeRespond(sink, {
      jsonrpc: "2.0",
      id: request.id,
      result: this.#complete(result, "server/discover"),
    } as JSONRPCResultResponse);
  }

  async #forward(request: JSONRPCRequest, sink: ModernSink, signal?: AbortSignal): Promise<void> {
    const params = request.params as Record<string, unknown> | undefined;
    const call = newCall(
      request,
      this.#era !== "modern" && INPUT_CAPABLE_METHODS.has(request.method),
    );
    let upstream: Upstream<Call>;
    try {
      const state = params?.requestState;
      const routed = typeof state === "string" ? this.#stateRoutes.get(state) : undefined;
      if (routed && !routed.closed) {
        this.#stateRoutes.delete(state as string);
        upstream = routed;
        call.upstream = routed;
        routed.calls.add(call);
      } else {
        upstream = await this.#acquire(call);
      }
    } catch (error) {
      return safeRespond(sink, wireError(request.id, error));
    }
    if (signal?.aborted) return this.#endCall(call);
    const { round, done } = this.#newRound(call, request, sink, signal);
    call.round = round;
    call.upstreamId = upstream.remapper.outgoing(request.id, call);
    const token = round.progressToken === undefined ? undefined : call.upstreamId;
    const message = upstreamRequest(
      request,
      call.upstreamId,
      token,
      upstream.identity?.era !== "modern",
    );
    upstream.send(message).catch((error: unknown) => {
      if (call.ended) return;
      upstream.remapper.incoming(call.upstreamId);
      this.#endCall(call);
      if (call.round) this.#answer(call.round, wireError(call.round.clientId, error));
    });
    return done;
  }

  /** An MRTR retry: answer the waiting upstream requests, then wait for the original call. */
  async #retry(
    request: JSONRPCRequest,
    sink: ModernSink,
    signal: AbortSignal | undefined,
    state: unknown,
  ): Promise<void> {
    const params = request.params as Record<string, unknown>;
    const call = typeof state === "string" ? this.#exchanges.take(state) : undefined;
    if (!call) {
      return safeRespond(
        sink,
        jsonRpcError(
          request.id,
          JsonRpcErrorCodes.INVALID_PARAMS,
          "Unknown or expired requestState; send the request again without requestState and inputResponses",
        ) as JSONRPCErrorResponse,
      );
    }
    if (call.method !== request.method || call.target !== targetOf(params)) {
      this.#exchanges.park(call, state as string);
      return safeRespond(
        sink,
        jsonRpcError(
          request.id,
          JsonRpcErrorCodes.INVALID_PARAMS,
          "requestState belongs to a different request",
        ) as JSONRPCErrorResponse,
      );
    }
    const { round, done } = this.#newRound(call, request, sink, signal);
    if (call.ended) {
      call.round = round;
      this.#deliver(call, call.final as JSONRPCMessage);
      return done;
    }
    call.round = round;
    call.capabilities = capabilitiesOf(request);
    const responses = params.inputResponses;
    if (typeof responses === "object" && responses !== null) {
      for (const [key, input] of call.inputs) {
        if (!Object.hasOwn(responses, key)) continue;
        call.inputs.delete(key);
        call.upstream.post({
          jsonrpc: "2.0",
          id: input.serverId,
          result: (responses as Record<string, unknown>)[key],
        } as JSONRPCMessage);
      }
    }
    // Whatever is still missing is asked again (spec: a new InputRequiredResult).
    if (call.inputs.size > 0) this.#queueFlush(call);
    return done;
  }

  #newRound(
    call: Call,
    request: JSONRPCRequest,
    sink: ModernSink,
    signal: AbortSignal | undefined,
  ): { round: Round; done: Promise<void> } {
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const level = requestMeta(request)?.[META.logLevel];
    const onAbort = () => this.#cancel(call, round);
    const round: Round = {
      clientId: request.id,
      sink,
      progressToken: progressTokenOf(request as { params?: Record<string, unknown> }),
      logLevel: typeof level === "string" && level in LOG_RANK ? level : undefined,
      finish: () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      detach: () => signal?.removeEventListener("abort", onAbort),
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    return { round, done };
  }

  /** The client went away (closed its stream): cancel upstream, send nothing more. */
  #cancel(call: Call, round: Round): void {
    if (call.round !== round) return;
    call.round = undefined;
    round.finish();
    if (call.ended) return;
    const upstream = call.upstream;
    upstream.remapper.incoming(call.upstreamId);
    this.#failInputs(call, "Request cancelled");
    this.#endCall(call);
    upstream.post({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: call.upstreamId, reason: "Client closed the request" },
    });
  }

  #expire(call: Call): void {
    if (call.ended) return;
    const upstream = call.upstream;
    upstream.remapper.incoming(call.upstreamId);
    this.#failInputs(call, "The client did not retry before the exchange expired");
    this.#endCall(call);
    upstream.post({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: call.upstreamId, reason: "Input exchange expired" },
    });
  }

  #failInputs(call: Call, message: string): void {
    for (const input of call.inputs.values()) {
      call.upstream.post(
        jsonRpcError(input.serverId, JsonRpcErrorCodes.REQUEST_TIMEOUT, message) as JSONRPCMessage,
      );
    }
    call.inputs.clear();
  }

  #endCall(call: Call): void {
    call.ended = true;
    if (call.flushTimer) clearTimeout(call.flushTimer);
    call.upstream?.calls.delete(call);
    call.upstream?.interactiveCalls.delete(call);
  }

  /** Delivers the call's final upstream answer to the current round, translated. */
  #deliver(call: Call, message: JSONRPCMessage): void {
    const round = call.round;
    if (!round) return;
    call.round = undefined;
    const m = message as {
      id?: RequestId;
      result?: Record<string, unknown>;
      error?: { code?: unknown; message?: unknown; data?: unknown };
    };
    m.id = round.clientId;
    if (m.error && typeof m.error === "object" && call.upstream.identity?.era === "legacy") {
      const translated = this.#translateLegacyError(call, round, m.error);
      if (translated) message = translated as JSONRPCMessage;
    } else if (m.result && typeof m.result === "object") {
      completeResult(m.result, call.method, this.#serverInfo(call.upstream));
      const state = m.result.requestState;
      if (m.result.resultType === "input_required" && typeof state === "string") {
        // A modern upstream's own requestState: keep the retry on this upstream.
        if (this.#stateRoutes.size >= MAX_STATE_ROUTES) {
          this.#stateRoutes.delete(this.#stateRoutes.keys().next().value as string);
        }
        this.#stateRoutes.set(state, call.upstream);
      }
    }
    this.#answer(round, message as JSONRPCResultResponse);
  }

  /**
   * Error codes 2026-07-28 forbids (basic/index.mdx#error-codes): -32002
   * (resource not found) becomes -32602; -32042 (URL elicitation required)
   * becomes an input_required carrying the URL elicitations (no requestState:
   * the retry simply runs the request again), or -32021 when the client did
   * not declare URL elicitation.
   */
  #translateLegacyError(
    call: Call,
    round: Round,
    error: { code?: unknown; message?: unknown; data?: unknown },
  ): JSONRPCResultResponse | JSONRPCErrorResponse | undefined {
    if (error.code === -32002) {
      error.code = JsonRpcErrorCodes.INVALID_PARAMS;
      return undefined;
    }
    if (error.code !== -32042) return undefined;
    const elicitations = (error.data as { elicitations?: unknown } | undefined)?.elicitations;
    const list = Array.isArray(elicitations) ? elicitations : [];
    if (
      list.length === 0 ||
      missingCapability("elicitation/create", { mode: "url" }, call.capabilities)
    ) {
      return jsonRpcError(
        round.clientId,
        MISSING_REQUIRED_CLIENT_CAPABILITY,
        String(error.message ?? "URL elicitation required"),
        { requiredCapabilities: { elicitation: { url: {} } } },
      ) as JSONRPCErrorResponse;
    }
    const inputRequests: Record<string, unknown> = {};
    list.forEach((params, i) => {
      inputRequests[`url-${i + 1}`] = { method: "elicitation/create", params };
    });
    return {
      jsonrpc: "2.0",
      id: round.clientId,
      result: this.#complete({ resultType: "input_required", inputRequests }, call.method),
    } as JSONRPCResultResponse;
  }

  #answer(round: Round, message: JSONRPCResultResponse | JSONRPCErrorResponse): void {
    safeRespond(round.sink, message);
    round.finish();
  }

  // ---- upstream messages ---------------------------------------------------

  #onMessage(upstream: Upstream<Call>, message: JSONRPCMessage): void {
    const m = message as { id?: RequestId; method?: unknown; params?: Record<string, unknown> };
    if (typeof m.method === "string") {
      if (m.id !== undefined) this.#onServerRequest(upstream, m as JSONRPCRequest);
      else this.#onNotification(upstream, m as JSONRPCNotification);
      return;
    }
    if (m.id === undefined) return;
    const entry = upstream.remapper.incoming(m.id);
    if (!entry) return; // late answer to a cancelled request
    const call = entry.owner;
    call.inputs.clear();
    this.#endCall(call);
    if (call.round) this.#deliver(call, message);
    else call.final = message; // parked: the retry collects it
  }

  #onNotification(upstream: Upstream<Call>, n: JSONRPCNotification): void {
    const params = (n.params ?? {}) as Record<string, unknown>;
    switch (n.method) {
      case "notifications/progress": {
        const token = params.progressToken;
        const call = typeof token === "string" ? upstream.remapper.peek(token)?.owner : undefined;
        const round = call?.round;
        if (round?.progressToken === undefined) return;
        safeNotify(round.sink, { ...n, params: { ...params, progressToken: round.progressToken } });
        return;
      }
      case "notifications/message": {
        // Attributed only when unambiguous. A 2025-era upstream logs for any
        // request, so it must be the only request in flight; a modern one logs
        // only for requests that asked, so it must be the only one that asked.
        let round: Round | undefined;
        if (upstream.identity?.era === "modern") {
          for (const call of upstream.calls) {
            if (call.round?.logLevel === undefined) continue;
            if (round) return;
            round = call.round;
          }
        } else {
          if (upstream.calls.size !== 1) return;
          round = [...upstream.calls][0]?.round;
        }
        const level = LOG_RANK[String(params.level)] ?? 0;
        if (round?.logLevel === undefined || level < (LOG_RANK[round.logLevel] ?? 0)) return;
        safeNotify(round.sink, n);
        return;
      }
      case "notifications/cancelled": {
        const id = params.requestId;
        if (upstream.identity?.era === "modern" && typeof id === "string") {
          // On stdio a modern server ends a listen stream this way: end ours too.
          const call = upstream.remapper.incoming(id)?.owner;
          if (!call) return;
          const round = call.round;
          call.round = undefined;
          this.#endCall(call);
          round?.finish();
          return;
        }
        for (const call of upstream.calls) {
          for (const [key, input] of call.inputs)
            if (input.serverId === id) call.inputs.delete(key);
        }
        return;
      }
    }
    if (n.method === "notifications/tools/list_changed") this.#tools = undefined;
    if (upstream.identity?.era === "modern") {
      // A modern upstream tags listen notifications with its own (remapped) listen id.
      const sub = (params._meta as Record<string, unknown> | undefined)?.[META.subscriptionId];
      const call = typeof sub === "string" ? upstream.remapper.peek(sub)?.owner : undefined;
      const round = call?.round;
      if (!round) return;
      const meta = {
        ...(params._meta as Record<string, unknown>),
        [META.subscriptionId]: round.clientId,
      };
      safeNotify(round.sink, { ...n, params: { ...params, _meta: meta } });
      return;
    }
    if (isSubscriptionNotification(n.method)) this.#subscriptions.dispatch(n);
  }

  #onServerRequest(upstream: Upstream<Call>, request: JSONRPCRequest): void {
    const reply = (code: number, text: string): undefined => {
      upstream.post(jsonRpcError(request.id, code, text) as JSONRPCMessage);
    };
    if (request.method === "ping") {
      upstream.post({ jsonrpc: "2.0", id: request.id, result: {} } as JSONRPCMessage);
      return;
    }
    if (!INPUT_METHODS.has(request.method) || upstream.identity?.era === "modern") {
      reply(JsonRpcErrorCodes.METHOD_NOT_FOUND, `Method not found: ${request.method}`);
      return;
    }
    const call = attributeServerRequest(upstream.interactiveCalls);
    if (!call) {
      this.#o.logger.warn("cannot attribute upstream request to one client request", {
        method: request.method,
        candidates: upstream.interactiveCalls.size,
      });
      reply(
        JsonRpcErrorCodes.INTERNAL_ERROR,
        `${request.method} cannot be attributed to a single client request`,
      );
      return;
    }
    const params = request.params as Record<string, unknown> | undefined;
    const missing = missingCapability(request.method, params, call.capabilities);
    if (missing) {
      reply(
        JsonRpcErrorCodes.METHOD_NOT_FOUND,
        `The client did not declare the ${missing} capability`,
      );
      // Spec (basic/index.mdx): a request that needs an undeclared client
      // capability ends with MissingRequiredClientCapability (-32021).
      const round = call.round;
      if (round) {
        safeRespond(
          round.sink,
          jsonRpcError(
            round.clientId,
            MISSING_REQUIRED_CLIENT_CAPABILITY,
            `Missing required client capability: ${missing}`,
            { requiredCapabilities: requiredCapabilities(missing) },
          ) as JSONRPCErrorResponse,
        );
        this.#cancel(call, round);
      }
      return;
    }
    const { key, params: surfaced } = inputKeyOf(params, call.inputs, ++call.nextInput);
    call.inputs.set(key, { serverId: request.id, method: request.method, params: surfaced });
    if (call.round) this.#queueFlush(call);
  }

  /**
   * Answers the round with input_required once the upstream's server requests
   * have settled: a short quiet period gathers requests sent together (e.g. a
   * Promise.all of elicitation, sampling and roots) into one result.
   */
  #queueFlush(call: Call): void {
    if (call.flushTimer) clearTimeout(call.flushTimer);
    call.flushStarted ??= Date.now();
    const wait = Date.now() - call.flushStarted >= INPUT_BATCH_MAX_MS ? 0 : INPUT_BATCH_QUIET_MS;
    call.flushTimer = setTimeout(() => {
      call.flushTimer = undefined;
      call.flushStarted = undefined;
      const round = call.round;
      if (!round || call.ended || call.inputs.size === 0) return;
      const state = this.#exchanges.park(call);
      if (state === undefined) {
        safeRespond(
          round.sink,
          jsonRpcError(
            round.clientId,
            JsonRpcErrorCodes.INTERNAL_ERROR,
            "Too many pending input exchanges",
          ) as JSONRPCErrorResponse,
        );
        this.#cancel(call, round);
        return;
      }
      const inputRequests: Record<string, unknown> = {};
      for (const [key, input] of call.inputs) {
        inputRequests[key] =
          input.params === undefined
            ? { method: input.method }
            : { method: input.method, params: input.params };
      }
      call.round = undefined;
      this.#answer(round, {
        jsonrpc: "2.0",
        id: round.clientId,
        result: this.#complete(
          { resultType: "input_required", inputRequests, requestState: state },
          call.method,
        ),
      } as JSONRPCResultResponse);
    }, wait);
  }

  // ---- helpers -------------------------------------------------------------

  #serverInfo(upstream: Upstream<Call> | undefined): unknown {
    return (upstream?.identity ?? this.#identity)?.serverInfo;
  }

  #complete(result: Record<string, unknown>, method: string): Record<string, unknown> {
    return completeResult(result, method, this.#serverInfo(undefined));
  }

  async #fetchTools(): Promise<Map<string, unknown>> {
    const upstream = await this.#acquire(undefined);
    const tools = new Map<string, unknown>();
    const modern = upstream.identity?.era === "modern";
    let cursor: unknown;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const params: Record<string, unknown> = {};
      if (cursor !== undefined) params.cursor = cursor;
      if (modern) {
        params._meta = {
          [META.protocolVersion]: upstream.identity?.protocolVersion,
          [META.clientCapabilities]: {},
        };
      }
      const result = (await upstream.request("tools/list", params, this.#o.requestTimeoutMs)) as {
        tools?: Array<{ name?: unknown; inputSchema?: unknown }>;
        nextCursor?: unknown;
      };
      for (const tool of result.tools ?? []) {
        if (typeof tool.name === "string") tools.set(tool.name, tool.inputSchema);
      }
      cursor = result.nextCursor;
      if (typeof cursor !== "string") break;
    }
    return tools;
  }
}

/** The inputRequests key for an upstream request (its INPUT_KEY_META hint when usable) and its params without the hint. */
function inputKeyOf(
  params: Record<string, unknown> | undefined,
  taken: ReadonlyMap<string, unknown>,
  n: number,
): { key: string; params: Record<string, unknown> | undefined } {
  const meta = params?._meta as Record<string, unknown> | undefined;
  const hint = meta?.[INPUT_KEY_META];
  if (!params || !meta || hint === undefined) return { key: `input-${n}`, params };
  const { [INPUT_KEY_META]: _, ...restMeta } = meta;
  const { _meta: __, ...rest } = params;
  const cleaned = Object.keys(restMeta).length > 0 ? { ...rest, _meta: restMeta } : rest;
  const key = typeof hint === "string" && hint !== "" && !taken.has(hint) ? hint : `input-${n}`;
  return { key, params: cleaned };
}

/**
 * The interactive call a server->client request belongs to: the only one in
 * flight, or else the only one with a client waiting on it. A parked exchange
 * (input_required sent, no retry yet) has its upstream blocked on the inputs it
 * asked for, so while another call is live the new request is that call's; a
 * client that never retries would otherwise block attribution until its
 * exchange expires.
 */
function attributeServerRequest(calls: ReadonlySet<Call>): Call | undefined {
  if (calls.size === 1) return calls.values().next().value;
  let live: Call | undefined;
  for (const call of calls) {
    if (!call.round) continue;
    if (live) return undefined;
    live = call;
  }
  return live;
}

/** `requiredCapabilities` for a missing capability path such as "elicitation.url". */
function requiredCapabilities(missing: string): Record<string, unknown> {
  const [head, sub] = missing.split(".") as [string, string | undefined];
  return { [head]: sub ? { [sub]: {} } : {} };
}

function newCall(request: JSONRPCRequest, interactive: boolean): Call {
  return {
    upstream: undefined as unknown as Upstream<Call>,
    upstreamId: "",
    method: request.method,
    target: targetOf(request.params as Record<string, unknown> | undefined),
    interactive,
    capabilities: capabilitiesOf(request),
    round: undefined,
    inputs: new Map(),
    nextInput: 0,
    flushTimer: undefined,
    flushStarted: undefined,
    ended: false,
    final: undefined,
  };
}

const targetOf = (params: Record<string, unknown> | undefined): unknown =>
  params?.name ?? params?.uri;

function capabilitiesOf(request: JSONRPCRequest): Record<string, unknown> {
  const caps = requestMeta(request)?.[META.clientCapabilities];
  return typeof caps === "object" && caps !== null ? (caps as Record<string, unknown>) : {};
}

function wireError(id: RequestId, error: unknown): JSONRPCErrorResponse {
  const wire = toWireError(error);
  const message = error instanceof McpProxyError ? error.message : wire.message;
  return jsonRpcError(id, wire.jsonRpcCode, message) as JSONRPCErrorResponse;
}

const closedError = (id: RequestId): JSONRPCErrorResponse =>
  jsonRpcError(id, JsonRpcErrorCodes.CONNECTION_CLOSED, "Gateway closed") as JSONRPCErrorResponse;

function safeRespond(
  sink: ModernSink,
  message: JSONRPCResultResponse | JSONRPCErrorResponse,
): void {
  try {
    sink.respond(message);
  } catch {
    // A sink that throws (socket gone) must not take the gateway down.
  }
}

function safeNotify(sink: ModernSink, message: JSONRPCNotification): void {
  try {
    sink.notify(message);
  } catch {
    // As above.
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o))
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
