// The transport-agnostic half of serving MCP 2026-07-28 clients in front of a
// 2025-era (or modern) upstream: shared, already-initialised upstreams with id
// remapping; server/discover from the handshake; resultType and serverInfo on
// results; MRTR for server->client requests; subscriptions/listen mapped onto
// upstream notifications. The HTTP layer only parses, validates headers, and
// turns a sink into a JSON body or an SSE stream.
//
// This file keeps the public class and request dispatch; the pieces live
// beside it: pool.ts (upstreams), input-rounds.ts and parked-rounds.ts (MRTR),
// listen-streams.ts, notifications.ts, tool-schemas.ts, call.ts, sink.ts,
// gateway-options.ts.
import type { TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResultResponse,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { capabilityProfile } from "../capability-profile.js";
import { JsonRpcErrorCodes, McpProxyError } from "../errors.js";
import { jsonRpcError } from "../jsonrpc.js";
import { validateModernMeta } from "../protocol/headers.js";
import { INPUT_CAPABLE_METHODS } from "../protocol/mrtr.js";
import type { ProtocolEra } from "../protocol/versions.js";
import { type Call, endCall, newCall, newRound, profileOf, type Round } from "./call.js";
import {
  type ModernGatewayOptions,
  type ResolvedGatewayOptions,
  resolveGatewayOptions,
} from "./gateway-options.js";
import { InputRounds } from "./input-rounds.js";
import { ListenStreams } from "./listen-streams.js";
import { routeUpstreamNotification } from "./notifications.js";
import { UpstreamPool } from "./pool.js";
import { gatewayClosed, type ModernSink, respondFailure, safeRespond } from "./sink.js";
import { SubscriptionRegistry } from "./subscriptions.js";
import { ToolSchemaCache } from "./tool-schemas.js";
import { completeResult, translateLegacyError, upstreamRequest } from "./translate.js";
import type { Upstream, UpstreamIdentity } from "./upstream.js";

// The class's own contract types, still importable from here.
export type { ModernGatewayOptions } from "./gateway-options.js";
export type { ModernSink } from "./sink.js";

/** Methods 2026-07-28 removed; a modern client sending them gets -32601. */
const REMOVED_METHODS: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "logging/setLevel",
  "resources/subscribe",
  "resources/unsubscribe",
]);
const MAX_STATE_ROUTES = 1000;

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
 * - a 2025-era upstream is initialised with exactly the client capabilities
 *   of the callers it serves: upstreams are kept per capability profile
 *   (UpstreamPool), so a server offers and asks only what the caller can do;
 * - a server->client request (sampling, elicitation, roots) belongs to the
 *   MRTR-capable request (tools/call, prompts/get, resources/read) in flight
 *   on that upstream: such a request from a client that declared any of
 *   those capabilities has its upstream to itself (others wait in line), so
 *   there is at most one. A request that arrives while none is in flight (a
 *   server's own roots/list after initialization) no call caused: the proxy
 *   answers it (answerUnattributed) and no call is failed for it;
 * - change notifications go only to listeners that opted into them.
 *
 * A requestState is single-use, random (192 bits), bound to the original
 * method and name/uri, and expires after `parkedRoundTtlMs`; it is not
 * bound to an authenticated principal (the gateway knows none).
 */
export class ModernGateway {
  readonly #o: ResolvedGatewayOptions;
  readonly #subscriptions = new SubscriptionRegistry();
  readonly #pool: UpstreamPool;
  readonly #inputs: InputRounds;
  readonly #listeners: ListenStreams;
  readonly #tools: ToolSchemaCache;
  /** A modern upstream's own requestStates, so that a retry reaches the same upstream. */
  readonly #stateRoutes = new Map<string, Upstream<Call>>();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: ModernGatewayOptions) {
    this.#o = resolveGatewayOptions(options);
    const isClosed = () => this.#closed;
    const complete = (result: Record<string, unknown>, method: string) =>
      this.#complete(result, method);
    this.#pool = new UpstreamPool(this.#o, this.#subscriptions, {
      isClosed,
      onMessage: (u, m) => this.#onMessage(u, m),
      onClosed: (u, e) => this.#onUpstreamClosed(u, e),
    });
    this.#inputs = new InputRounds(
      this.#o.maxParkedRounds,
      this.#o.parkedRoundTtlMs,
      {
        logger: this.#o.logger,
        newRound: (call, request, sink, signal) => this.#newRound(call, request, sink, signal),
        deliver: (call, message) => this.#deliver(call, message),
        answer: (round, message) => this.#answer(round, message),
        complete,
      },
      this.#o.requestStatePrefix,
    );
    this.#listeners = new ListenStreams(this.#subscriptions, this.#pool, {
      isClosed,
      complete,
      onListenSubscriptions: this.#o.onListenSubscriptions,
    });
    this.#tools = new ToolSchemaCache(
      (profile) => this.#pool.acquire(undefined, profile),
      this.#o.requestTimeoutMs,
    );
  }

  /** False once closed, or while upstream failures exceed `maxRestarts` within `restartWindowMs`. */
  get healthy(): boolean {
    return this.#pool.healthy;
  }

  /** The era of the upstream once known (after the first successful start). */
  get upstreamEra(): ProtocolEra | undefined {
    return this.#pool.era;
  }

  /** Versions accepted from modern clients. */
  get supportedVersions(): readonly string[] {
    return this.#o.supportedVersions;
  }

  get #advertised(): readonly string[] {
    return this.#o.advertisedVersions ?? this.#o.supportedVersions;
  }

  /**
   * Starts an upstream for clients that declare no capabilities now (otherwise the first request
   * starts the one it needs); rejects if it cannot.
   */
  async start(): Promise<void> {
    await this.#pool.acquire(undefined, capabilityProfile({}));
  }

  /**
   * Handles one modern JSON-RPC request. Resolves once the sink has its
   * answer, or once `signal` aborted (then nothing more is sent for it and
   * the upstream gets notifications/cancelled). `sendOptions` go with the
   * request to the upstream transport's send (e.g. the HTTP layer's authInfo,
   * which an in-process SDK Server sees as `extra.authInfo`).
   */
  async handle(
    request: JSONRPCRequest,
    sink: ModernSink,
    signal?: AbortSignal,
    sendOptions?: TransportSendOptions,
  ): Promise<void> {
    if (this.#refused(request, sink)) return;
    if (request.method === "subscriptions/listen") {
      return this.#listen(request, sink, signal, sendOptions);
    }
    if (signal?.aborted) return;
    if (this.#pool.era === undefined) {
      try {
        await this.#pool.acquire(undefined, profileOf(request), signal);
      } catch (error) {
        return this.#failure(sink, request.id, error);
      }
    }
    const params = request.params as Record<string, unknown> | undefined;
    if (this.#pool.era === "legacy") {
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
      if (state !== undefined) return this.#inputs.retry(request, sink, signal, state);
    }
    return this.#forward(request, sink, signal, sendOptions);
  }

  /**
   * Serves `subscriptions/listen`: acknowledges the opted-in kinds the
   * upstream supports, then forwards matching change notifications tagged with
   * the request id until `signal` aborts (releasing upstream subscriptions) or
   * the gateway closes (a graceful result).
   */
  async listen(
    request: JSONRPCRequest,
    sink: ModernSink,
    signal?: AbortSignal,
    sendOptions?: TransportSendOptions,
  ): Promise<void> {
    if (this.#refused(request, sink)) return;
    return this.#listen(request, sink, signal, sendOptions);
  }

  async #listen(
    request: JSONRPCRequest,
    sink: ModernSink,
    signal: AbortSignal | undefined,
    sendOptions: TransportSendOptions | undefined,
  ): Promise<void> {
    try {
      await this.#pool.acquire(undefined, profileOf(request), signal);
    } catch (error) {
      return this.#failure(sink, request.id, error);
    }
    if (this.#pool.era === "modern") return this.#forward(request, sink, signal, sendOptions);
    return this.#listeners.listen(request, sink, signal);
  }

  /**
   * The inputSchema of an upstream tool (for `Mcp-Param-*` validation), from
   * a cache filled by `tools/list` and dropped on tools list_changed. The
   * tools a 2025-era server lists depend on the client's capabilities: pass
   * the request's `_meta` clientCapabilities (default: none declared).
   */
  async toolInputSchema(name: string, clientCapabilities?: unknown): Promise<unknown> {
    return this.#tools.get(name, capabilityProfile(clientCapabilities));
  }

  /**
   * Delivers a change notification (`notifications/tools/list_changed`, prompts, resources, or
   * `notifications/resources/updated` with its uri) to the open listen streams that opted into
   * it, as if a 2025-era upstream had sent it. For embedders whose changes do not come from the
   * gateway's upstream. Streams relayed to a 2026-07-28 upstream are that upstream's to feed.
   */
  publish(notification: JSONRPCNotification): void {
    if (!this.#closed) this.#subscriptions.dispatch(notification);
  }

  /** Closes every upstream (idempotent): in-flight requests get errors, listeners a graceful end. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#listeners.endAll();
      this.#inputs.clear();
      await this.#pool.close();
    })();
    return this.#closing;
  }

  // ---- requests ------------------------------------------------------------

  /** Answers a request the gateway cannot take (bad `_meta`, or closed); true when it did. */
  #refused(request: JSONRPCRequest, sink: ModernSink): boolean {
    const checked = validateModernMeta(request, this.#o.supportedVersions, this.#advertised);
    if (!checked.ok) {
      safeRespond(sink, checked.jsonRpcError as JSONRPCErrorResponse);
      return true;
    }
    if (this.#closed) {
      respondFailure(sink, request.id, gatewayClosed());
      return true;
    }
    return false;
  }

  #discover(request: JSONRPCRequest, sink: ModernSink): void {
    const id = this.#pool.identity as UpstreamIdentity;
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

  async #forward(
    request: JSONRPCRequest,
    sink: ModernSink,
    signal: AbortSignal | undefined,
    sendOptions: TransportSendOptions | undefined,
  ): Promise<void> {
    let params = request.params as Record<string, unknown> | undefined;
    const wrapped = this.#unwrapState(params?.requestState);
    if (wrapped !== undefined) {
      // The upstream gets its own requestState back, byte for byte.
      params = { ...params, requestState: wrapped };
      request = { ...request, params };
    }
    const call = newCall(
      request,
      this.#pool.era !== "modern" && INPUT_CAPABLE_METHODS.has(request.method),
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
        upstream = await this.#pool.acquire(call, call.profile, signal);
      }
    } catch (error) {
      return this.#failure(sink, request.id, error);
    }
    if (signal?.aborted) return endCall(call);
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
    upstream.send(message, sendOptions).catch((error: unknown) => {
      if (call.ended) return;
      upstream.remapper.incoming(call.upstreamId);
      endCall(call);
      if (call.round) this.#fail(call.round, error);
    });
    return done;
  }

  /** A modern upstream's requestState wrapped by `#deliver` (see requestStatePrefix), unwrapped. */
  #unwrapState(state: unknown): string | undefined {
    const prefix = this.#o.requestStatePrefix;
    if (prefix === "" || typeof state !== "string" || !state.startsWith(`${prefix}~`)) {
      return undefined;
    }
    return state.slice(prefix.length + 1);
  }

  #newRound(
    call: Call,
    request: JSONRPCRequest,
    sink: ModernSink,
    signal: AbortSignal | undefined,
  ): { round: Round; done: Promise<void> } {
    return newRound(request, sink, signal, (round) => this.#inputs.cancel(call, round));
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
      const translated = translateLegacyError(
        m.error,
        round.clientId,
        call.capabilities,
        (result) => this.#complete(result, call.method),
      );
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
        if (this.#o.requestStatePrefix !== "") {
          m.result.requestState = `${this.#o.requestStatePrefix}~${state}`;
        }
      }
    }
    this.#answer(round, message as JSONRPCResultResponse);
  }

  #answer(round: Round, message: JSONRPCResultResponse | JSONRPCErrorResponse): void {
    safeRespond(round.sink, message);
    round.finish();
  }

  /** Ends the round with the proxy's own failure (and its HTTP status). */
  #fail(round: Round, error: unknown): void {
    this.#failure(round.sink, round.clientId, error);
    round.finish();
  }

  // ---- upstream messages ---------------------------------------------------

  #onMessage(upstream: Upstream<Call>, message: JSONRPCMessage): void {
    const m = message as { id?: RequestId; method?: unknown; params?: Record<string, unknown> };
    if (typeof m.method === "string") {
      if (m.id !== undefined) this.#inputs.onServerRequest(upstream, m as JSONRPCRequest);
      else {
        routeUpstreamNotification(upstream, m as JSONRPCNotification, this.#subscriptions, () =>
          this.#tools.invalidate(),
        );
      }
      return;
    }
    if (m.id === undefined) return;
    const entry = upstream.remapper.incoming(m.id);
    if (!entry) return; // late answer to a cancelled request
    const call = entry.owner;
    call.inputs.clear();
    endCall(call);
    if (call.round) this.#deliver(call, message);
    else call.final = message; // parked: the retry collects it
  }

  /** An upstream closed: its parked rounds, state routes and in-flight calls end with `error`. */
  #onUpstreamClosed(upstream: Upstream<Call>, error: Error): void {
    this.#inputs.dropUpstream(upstream);
    for (const [state, u] of this.#stateRoutes) if (u === upstream) this.#stateRoutes.delete(state);
    for (const call of [...upstream.calls]) {
      const round = call.round;
      endCall(call);
      if (round) this.#fail(round, error);
    }
  }

  // ---- helpers -------------------------------------------------------------

  /** Answers with the proxy's own failure; one that is not ours (a bug) is logged, not just a 500. */
  #failure(sink: ModernSink, id: RequestId, error: unknown): void {
    if (!(error instanceof McpProxyError)) this.#o.logger.error("modern request failed", { error });
    respondFailure(sink, id, error);
  }

  #serverInfo(upstream: Upstream<Call> | undefined): unknown {
    return (upstream?.identity ?? this.#pool.identity)?.serverInfo;
  }

  #complete(result: Record<string, unknown>, method: string): Record<string, unknown> {
    return completeResult(result, method, this.#serverInfo(undefined));
  }
}
