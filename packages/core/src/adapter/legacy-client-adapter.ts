// A 2025-era server in front of a 2026-07-28 (stateless) upstream, as one
// Transport: whoever drives it (an HTTP session, a stdio bridge) talks the
// handshake protocol, and the adapter translates onto the wrapped modern
// upstream Transport. initialize is answered from server/discover; ping and
// logging/setLevel locally; every other request goes up with the per-request
// `_meta`; input_required results become real server->client requests and a
// retry with inputResponses and the byte-exact requestState; resource and
// list subscriptions ride one subscriptions/listen request. In "auto" mode a
// failed probe makes it a plain pass-through to a 2025-era upstream.
// Spec: docs/specification/2026-07-28/basic/patterns/mrtr.mdx, subscriptions, server/discover.
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  MessageExtraInfo,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, JsonRpcErrorCodes, McpProxyError, toWireError } from "../errors.js";
import { classifyMessage, jsonRpcError, messageId } from "../jsonrpc.js";
import { type Logger, silentLogger } from "../logger.js";
import {
  DEFAULT_UPSTREAM_PROBE_TIMEOUT_MS,
  LATEST_MODERN_PROTOCOL_VERSION,
  type ProtocolEra,
  type ProtocolEraOption,
} from "../protocol/versions.js";
import { type LegacyClientActions, LegacyClientState } from "./client-state.js";
import { LegacyInputAsker } from "./input-asker.js";
import { AdapterListen } from "./listen.js";
import { type ModernCallAnswer, runModernCall } from "./modern-call.js";
import {
  initializeResultFromDiscover,
  legacyClientOf,
  modernRequestFor,
  sharedModernVersion,
  subscriptionIdOf,
} from "./translate.js";

type Params = Record<string, unknown>;
/** Prefix of every request id the adapter sends upstream. */
const ID_PREFIX = "mcp-proxy-legacy-";

export interface LegacyClientAdapterOptions {
  /**
   * "modern" (default): the upstream speaks 2026-07-28; a failed probe fails
   * the client's initialize. "auto": probe with server/discover on the client's
   * initialize and, when the upstream is not modern, pass every message through.
   */
  protocol?: Exclude<ProtocolEraOption, "legacy">;
  /**
   * Called once the era is known. `answered` is false when the probe got no
   * answer in time (a slow starter may still be modern: do not cache that).
   */
  onEra?: (era: ProtocolEra, info: { answered: boolean }) => void;
  /** Limit of the server/discover probe, ms. Default DEFAULT_UPSTREAM_PROBE_TIMEOUT_MS. */
  probeTimeoutMs?: number;
  /** Limit for the client's answer to one input request, ms. Default DEFAULT_INPUT_TIMEOUT_MS. */
  inputTimeoutMs?: number;
  /** Most input_required rounds per request. Default DEFAULT_MAX_INPUT_ROUNDS (modern-call.ts). */
  maxInputRounds?: number;
  logger?: Logger;
}

interface Call {
  abort: AbortController;
}

export class LegacyClientAdapter implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  readonly #upstream: Transport;
  readonly #protocol: Exclude<ProtocolEraOption, "legacy">;
  readonly #o: LegacyClientAdapterOptions;
  readonly #logger: Logger;
  /** What the client's messages may call for, done here (see LegacyClientState.receive). */
  readonly #clientActions: LegacyClientActions;
  readonly #abort = new AbortController();
  readonly #inputs: LegacyInputAsker;
  readonly #listen: AdapterListen;
  #era: ProtocolEra | undefined;
  #discover: Params = {};
  #version = LATEST_MODERN_PROTOCOL_VERSION;
  readonly #state = new LegacyClientState();
  #nextId = 1;
  /** Client requests in flight, by client id: aborting one cancels it upstream. */
  readonly #calls = new Map<RequestId, Call>();
  /** Our upstream requests, waiting for their answer. */
  readonly #pending = new Map<string, (answer: ModernCallAnswer) => void>();
  /** Messages that arrived while the era was being decided. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  #closeNotified = false;
  #closing: Promise<void> | undefined;

  constructor(upstream: Transport, options: LegacyClientAdapterOptions = {}) {
    this.#upstream = upstream;
    this.#o = options;
    this.#protocol = options.protocol ?? "modern";
    this.#logger = options.logger ?? silentLogger;
    this.#clientActions = {
      call: (request) => void this.#call(request),
      answer: (id, result) => this.#answer(id, result),
      reopenListen: () => this.#updateListen(),
      cancel: (id) => this.#calls.get(id)?.abort.abort(),
      answerInput: (message) => this.#inputs.answer(message),
      logger: this.#logger,
    };
    this.#inputs = new LegacyInputAsker({
      // Transports that route by request (HTTP sessions) put the input on that request's stream.
      deliver: (m, relatedRequestId) =>
        this.#deliver(m, relatedRequestId === undefined ? undefined : { relatedRequestId }),
      timeoutMs: options.inputTimeoutMs,
    });
    this.#listen = new AdapterListen({
      send: (m) => this.#post(m),
      deliver: (n) => this.#deliver(n),
      request: (id, filter) => this.#modern(id, "subscriptions/listen", { notifications: filter }),
      newId: () => this.#newId(),
      logger: this.#logger,
    });
  }

  /** The upstream's era once known: "modern" (translating) or "legacy" (passing through). */
  get era(): ProtocolEra | undefined {
    return this.#era;
  }

  async start(): Promise<void> {
    this.#upstream.onmessage = (message, extra) => this.#fromUpstream(message, extra);
    this.#upstream.onerror = (error) => this.onerror?.(error);
    this.#upstream.onclose = () => this.#upstreamClosed();
    await this.#upstream.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Transport is closed"));
    }
    if (this.#era === "legacy") return this.#upstream.send(message, options);
    if (this.#era === "modern") {
      this.#fromClient(message);
      return Promise.resolve();
    }
    const next = this.#queue.then(() => this.#decide(message, options));
    this.#queue = next.catch(() => {});
    return next;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#listen.close();
      this.#abort.abort();
      this.#inputs.clear();
      this.#pending.clear();
      await this.#upstream.close().catch(() => {});
      this.#notifyClose();
    })();
    return this.#closing;
  }

  // ---- era ----

  async #decide(first: JSONRPCMessage, options: TransportSendOptions | undefined): Promise<void> {
    if (this.#era === "legacy") return this.#upstream.send(first, options);
    if (this.#era === "modern") return this.#fromClient(first);
    const initialize =
      classifyMessage(first) === "request" && (first as JSONRPCRequest).method === "initialize";
    if (!initialize && this.#protocol === "auto") {
      // Only an initialize opens a conversation the probe can decide; keep 2025 rules.
      this.#setEra("legacy", false);
      return this.#upstream.send(first, options);
    }
    if (!initialize) {
      // A modern upstream without a handshake: translate from the first message on.
      this.#setEra("modern", false);
      return this.#fromClient(first);
    }
    const request = first as JSONRPCRequest;
    const client = legacyClientOf(request);
    this.#state.client = client;
    const outcome = await this.#probe();
    if (this.#closed) return;
    if (outcome.modern) {
      this.#setEra("modern", true);
      this.#discover = outcome.discover;
      this.#version = outcome.version;
      this.#answer(request.id, initializeResultFromDiscover(this.#discover, client));
      return;
    }
    if (this.#protocol === "modern") {
      const error = new McpProxyError(
        ErrorCodes.UNSUPPORTED_PROTOCOL_VERSION,
        `The upstream does not speak MCP ${LATEST_MODERN_PROTOCOL_VERSION} (${outcome.reason})`,
      );
      this.#logger.error(error.message);
      this.#fail(request.id, error);
      return;
    }
    this.#logger.debug(`Passing the 2025 protocol through: ${outcome.reason}`);
    this.#setEra("legacy", outcome.answered);
    await this.#upstream.send(first, options);
  }

  #setEra(era: ProtocolEra, answered: boolean): void {
    this.#era = era;
    try {
      this.#o.onEra?.(era, { answered });
    } catch (error) {
      this.#logger.warn("onEra failed", { error });
    }
  }

  /** `server/discover` with the client's identity: a result listing a version we speak is modern. */
  async #probe(): Promise<
    | { modern: true; discover: Params; version: string }
    | { modern: false; reason: string; answered: boolean }
  > {
    const id = this.#newId();
    const timeoutMs = this.#o.probeTimeoutMs ?? DEFAULT_UPSTREAM_PROBE_TIMEOUT_MS;
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(timeoutMs)]);
    let answer: ModernCallAnswer;
    try {
      answer = await this.#roundTrip(this.#modern(id, "server/discover", undefined), signal);
    } catch (error) {
      return {
        modern: false,
        answered: false,
        reason: signal.aborted
          ? `server/discover got no answer in ${timeoutMs} ms`
          : error instanceof Error
            ? error.message
            : String(error),
      };
    }
    if ("error" in answer) {
      return {
        modern: false,
        answered: true,
        reason: `server/discover answered error ${answer.error.code} (${answer.error.message})`,
      };
    }
    const version = sharedModernVersion(answer.result);
    if (version === undefined) {
      return {
        modern: false,
        answered: true,
        reason: `server/discover lists ${JSON.stringify(answer.result.supportedVersions)}`,
      };
    }
    return { modern: true, discover: answer.result, version };
  }

  // ---- client side (modern era) ----

  #fromClient(message: JSONRPCMessage): void {
    this.#state.receive(message, this.#discover, this.#clientActions);
  }

  #updateListen(): void {
    this.#listen.update(this.#state.listenFilter(this.#discover));
  }

  /** Sends one client request upstream until it completes, fails or is cancelled. */
  async #call(request: JSONRPCRequest): Promise<void> {
    const clientId = request.id;
    const call: Call = { abort: new AbortController() };
    this.#calls.get(clientId)?.abort.abort();
    this.#calls.set(clientId, call);
    const signal = AbortSignal.any([call.abort.signal, this.#abort.signal]);
    try {
      const answer = await runModernCall(request.params as Params | undefined, {
        send: (params) =>
          this.#roundTrip(this.#modern(this.#newId(), request.method, params), signal),
        inputs: this.#inputs,
        signal,
        relatedRequestId: clientId,
        maxRounds: this.#o.maxInputRounds,
      });
      if (answer === undefined) return;
      if ("error" in answer) {
        this.#deliver({ jsonrpc: "2.0", id: clientId, error: answer.error } as JSONRPCMessage);
      } else this.#answer(clientId, answer.result);
    } catch (error) {
      if (signal.aborted) return;
      this.#logger.warn("A translated request failed", { method: request.method, error });
      this.#fail(clientId, error);
    } finally {
      if (this.#calls.get(clientId) === call) this.#calls.delete(clientId);
    }
  }

  /**
   * Sends one upstream request and resolves with its answer. Aborting sends
   * notifications/cancelled upstream (unless the adapter itself is closing).
   */
  #roundTrip(request: JSONRPCRequest, signal: AbortSignal): Promise<ModernCallAnswer> {
    const id = request.id as string;
    return new Promise<ModernCallAnswer>((resolve, reject) => {
      const onAbort = () => {
        if (!this.#pending.delete(id)) return;
        if (!this.#closed) {
          this.#post({
            jsonrpc: "2.0",
            method: "notifications/cancelled",
            params: { requestId: id, reason: "The client cancelled the request" },
          } as JSONRPCMessage);
        }
        reject(new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Request cancelled"));
      };
      if (signal.aborted) {
        reject(new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Request cancelled"));
        return;
      }
      this.#pending.set(id, (answer) => {
        signal.removeEventListener("abort", onAbort);
        resolve(answer);
      });
      signal.addEventListener("abort", onAbort, { once: true });
      this.#upstream.send(request).catch((error: unknown) => {
        if (!this.#pending.delete(id)) return;
        signal.removeEventListener("abort", onAbort);
        reject(
          new McpProxyError(ErrorCodes.UPSTREAM_CLOSED, "The upstream could not be reached", {
            cause: error,
          }),
        );
      });
    });
  }

  // ---- upstream side ----

  #fromUpstream(message: JSONRPCMessage, extra: MessageExtraInfo | undefined): void {
    if (this.#closed) return;
    if (this.#era === "legacy") {
      // A probe answer that came after its time limit is ours, not the client's.
      const id = messageId(message);
      const ours = typeof id === "string" && id.startsWith(ID_PREFIX);
      if (ours && classifyMessage(message) !== "request") return;
      this.onmessage?.(message, extra);
      return;
    }
    const kind = classifyMessage(message);
    if (kind === "response" || kind === "error") {
      const id = messageId(message);
      if (typeof id === "string" && this.#listen.owns(id)) {
        const error = (message as { error?: { code?: unknown } }).error;
        this.#listen.ended(id, typeof error?.code === "number" ? error.code : undefined);
        return;
      }
      const resolve = typeof id === "string" ? this.#pending.get(id) : undefined;
      if (!resolve || typeof id !== "string") {
        this.#logger.debug("Dropping an upstream answer nobody waits for", { id });
        return;
      }
      this.#pending.delete(id);
      if (kind === "error") {
        const e = (message as { error: { code?: unknown; message?: unknown; data?: unknown } })
          .error;
        resolve({
          error: {
            code: typeof e.code === "number" ? e.code : JsonRpcErrorCodes.INTERNAL_ERROR,
            message: typeof e.message === "string" ? e.message : "error",
            ...(e.data !== undefined ? { data: e.data } : {}),
          },
        });
      } else {
        const result = (message as { result?: unknown }).result;
        resolve({
          result: typeof result === "object" && result !== null ? (result as Params) : {},
        });
      }
      return;
    }
    if (kind === "request") {
      // 2026-07-28 servers ask for input through results, never by request.
      const request = message as JSONRPCRequest;
      if (request.method === "ping") {
        this.#post({ jsonrpc: "2.0", id: request.id, result: {} } as JSONRPCMessage);
      } else {
        this.#post(
          jsonRpcError(
            request.id,
            JsonRpcErrorCodes.METHOD_NOT_FOUND,
            `Method not found: ${request.method}`,
          ) as JSONRPCMessage,
        );
      }
      return;
    }
    if (kind !== "notification") return;
    const n = message as JSONRPCNotification;
    if (n.method === "notifications/cancelled") {
      const id = (n.params as Params | undefined)?.requestId;
      // On stdio a modern server ends a listen this way.
      if (typeof id === "string" && this.#listen.owns(id)) this.#listen.ended(id);
      else if (typeof id === "string") {
        this.#pending.get(id)?.({
          error: {
            code: JsonRpcErrorCodes.CONNECTION_CLOSED,
            message: "The upstream cancelled the request",
          },
        });
        this.#pending.delete(id);
      }
      return;
    }
    if (this.#listen.notification(n)) return;
    // Tagged for a listen we no longer hold (retired or ended): the client never asked.
    if (subscriptionIdOf(n) !== undefined) return;
    // Progress (with the client's own token) and logs (asked for via logLevel) pass as they are.
    this.#deliver(n);
  }

  #upstreamClosed(): void {
    this.#closed = true;
    this.#listen.close();
    this.#abort.abort();
    this.#inputs.clear();
    this.#pending.clear();
    this.#notifyClose();
  }

  #notifyClose(): void {
    if (this.#closeNotified) return;
    this.#closeNotified = true;
    this.onclose?.();
  }

  // ---- helpers ----

  #newId(): string {
    return `${ID_PREFIX}${this.#nextId++}`;
  }

  #modern(id: string, method: string, params: Params | undefined): JSONRPCRequest {
    return modernRequestFor(
      id,
      method,
      params,
      this.#state.client,
      this.#state.logLevel,
      this.#version,
    );
  }

  #post(message: JSONRPCMessage): void {
    if (this.#closed) return;
    this.#upstream.send(message).catch((error: unknown) => {
      this.#logger.debug("Send to the upstream failed", { error });
    });
  }

  #deliver(message: JSONRPCMessage, extra?: { relatedRequestId: RequestId }): void {
    if (!this.#closed) this.onmessage?.(message, extra as MessageExtraInfo | undefined);
  }

  #answer(id: RequestId, result: Params): void {
    this.#deliver({ jsonrpc: "2.0", id, result } as JSONRPCMessage);
  }

  #fail(id: RequestId, error: unknown): void {
    const wire = toWireError(error);
    const message = error instanceof Error ? error.message : wire.message;
    this.#deliver(jsonRpcError(id, wire.jsonRpcCode, message) as JSONRPCMessage);
  }
}
