// The remote leg for a 2026-07-28 server behind a 2025-era local client. The
// local client keeps its handshake world (initialize, ping, setLevel,
// resources/subscribe, server->client requests); this transport answers what
// the stateless revision dropped, sends every other request as its own modern
// POST, turns input_required results into real requests to the local client
// (each naming the server's inputRequests key) and retries with their answers
// (core's runModernCall, the loop LegacyClientAdapter runs too), and keeps one
// subscriptions/listen stream for change notifications.
// Spec: docs/specification/2026-07-28/basic/patterns/mrtr.mdx, basic/patterns/subscriptions,
// basic/transports/streamable-http.mdx#cancellation.
import {
  ErrorCodes,
  JsonRpcErrorCodes,
  type Logger,
  McpProxyError,
  silentLogger,
} from "@mcp-proxy/core";
import {
  type LegacyClientActions,
  LegacyClientState,
  LegacyInputAsker,
  listChangedFor,
  type ModernCallAnswer,
  modernRequestFor,
  runModernCall,
  untaggedNotification,
} from "@mcp-proxy/core/internal";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, JSONRPCRequest, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { backoffDelay, maxReconnectAttempts, pause } from "./backoff.js";
import { requestTimeout, transportAbortController } from "./http.js";
import { errorResponse } from "./messages.js";
import { type ModernAnswer, type ModernHttp, modernPost } from "./modern-post.js";
import { RemoteTools } from "./remote-tools.js";

/** A listen stream that lived this long counts as healthy: its drop restarts the backoff, ms. */
const STABLE_LISTEN_MS = 5_000;

type Params = Record<string, unknown>;

export interface ModernClientOptions {
  http: ModernHttp;
  /** The server's discover result. */
  discover: Params;
  /** The modern version to speak. */
  version: string;
  logger?: Logger;
}

export class ModernClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  readonly #http: ModernHttp;
  readonly #discover: Params;
  readonly #version: string;
  readonly #logger: Logger;
  readonly #abort = transportAbortController();
  readonly #state = new LegacyClientState();
  /** What the local client's messages may call for, done here (see LegacyClientState.receive). */
  readonly #clientActions: LegacyClientActions;
  #nextId = 1;
  /** Local requests in flight, by local id: aborting one cancels its POST. */
  readonly #calls = new Map<RequestId, AbortController>();
  /** Our requests to the local client (MRTR input), waiting for its answers. */
  readonly #inputs: LegacyInputAsker;
  /** The remote's tool schemas, for `Mcp-Param-*` headers. */
  readonly #tools: RemoteTools;
  #listen: AbortController | undefined;
  /** Replaced listen streams, closed once the current one is acknowledged. */
  readonly #retiring: AbortController[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: ModernClientOptions) {
    this.#http = options.http;
    this.#discover = options.discover;
    this.#version = options.version;
    this.#logger = options.logger ?? silentLogger;
    this.#clientActions = {
      call: (request) => void this.#call(request),
      answer: (id, result) => this.#answer(id, result),
      reopenListen: () => this.#openListen(),
      // Closing the response stream is the 2026 cancellation signal.
      cancel: (id) => this.#calls.get(id)?.abort(),
      answerInput: (message) => this.#inputs.answer(message),
      logger: this.#logger,
    };
    this.#tools = new RemoteTools(this.#http);
    this.#inputs = new LegacyInputAsker({
      deliver: (m) => this.#deliver(m),
      timeoutMs: requestTimeout(this.#http.options),
    });
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Transport is closed");
    this.#state.receive(message, this.#discover, this.#clientActions);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#abort.abort();
      this.#inputs.clear();
      await this.#http.dispatcher.destroy().catch(() => {});
      this.onclose?.();
    })();
    return this.#closing;
  }

  #deliver(message: JSONRPCMessage): void {
    if (!this.#closed) this.onmessage?.(message);
  }

  #answer(id: RequestId, result: Params): void {
    this.#deliver({ jsonrpc: "2.0", id, result } as JSONRPCMessage);
  }

  /** Sends one local request as modern POSTs until it completes, fails or is cancelled. */
  async #call(request: JSONRPCRequest): Promise<void> {
    const localId = request.id;
    const abort = new AbortController();
    this.#calls.get(localId)?.abort();
    this.#calls.set(localId, abort);
    const signal = AbortSignal.any([abort.signal, this.#abort.signal]);
    try {
      const answer = await runModernCall((request.params ?? undefined) as Params | undefined, {
        send: (params) => this.#post(request.method, params, signal),
        inputs: this.#inputs,
        signal,
      });
      if (answer === undefined) return;
      if ("error" in answer) {
        this.#deliver({ jsonrpc: "2.0", id: localId, error: answer.error } as JSONRPCMessage);
      } else this.#answer(localId, answer.result);
    } catch (error) {
      if (signal.aborted) return;
      this.#logger.error(error instanceof Error ? error.message : String(error));
      this.#deliver(errorResponse(localId, error));
    } finally {
      if (this.#calls.get(localId) === abort) this.#calls.delete(localId);
    }
  }

  /** One modern POST of a local request (with `Mcp-Param-*` headers from the tool schemas). */
  async #post(
    method: string,
    params: Params | undefined,
    signal: AbortSignal,
  ): Promise<ModernCallAnswer> {
    const answer = await this.#tools.post(
      this.#modern(method, params),
      { onNotification: (n) => this.#deliver(n), signal },
      (list) => this.#modern("tools/list", list),
    );
    return answer.kind === "error" ? { error: answer.error } : { result: answer.result };
  }

  #modern(method: string, params: Params | undefined): JSONRPCRequest {
    const id = this.#nextId++;
    return modernRequestFor(
      id,
      method,
      params,
      this.#state.client,
      this.#state.logLevel,
      this.#version,
    );
  }

  /** (Re)opens the one listen stream with the current filter; the old one is closed. */
  #openListen(): void {
    // The old stream stays open until the new one is acknowledged, so that no
    // notification falls into the gap (a duplicate list_changed is harmless).
    if (this.#listen) this.#retiring.push(this.#listen);
    this.#listen = undefined;
    const filter = this.#state.listenFilter(this.#discover);
    if (!filter || this.#closed) {
      this.#retire();
      return;
    }
    const abort = new AbortController();
    this.#listen = abort;
    void this.#listenLoop(filter, abort, AbortSignal.any([abort.signal, this.#abort.signal]));
  }

  /** Closes the listen streams a newer one replaced. */
  #retire(): void {
    for (const old of this.#retiring.splice(0)) old.abort();
  }

  async #listenLoop(filter: Params, owner: AbortController, signal: AbortSignal): Promise<void> {
    let failures = 0;
    let opened = false;
    while (!signal.aborted) {
      const reconnect = this.#http.options.reconnect;
      if (failures >= maxReconnectAttempts(reconnect)) {
        this.#logger.error(
          `Giving up on the subscriptions/listen stream after ${failures} failed attempts`,
        );
        return;
      }
      if (
        failures > 0 &&
        !(await pause(backoffDelay(failures, undefined, undefined, reconnect), signal))
      )
        return;
      let acked = false;
      const since = Date.now();
      let answer: ModernAnswer | undefined;
      try {
        answer = await modernPost(
          this.#http,
          this.#modern("subscriptions/listen", { notifications: filter }),
          {
            signal,
            longLived: true,
            onNotification: (n) => {
              if (n.method === "notifications/subscriptions/acknowledged") {
                acked = true;
                this.#retire();
                // Changes while the stream was down are lost: let the client refetch.
                if (opened) this.#announceChanges(filter);
                opened = true;
                return;
              }
              this.#deliver(untaggedNotification(n));
            },
          },
        );
      } catch (error) {
        if (signal.aborted) return;
        this.#logger.debug("The subscriptions/listen stream ended", { error });
      }
      // A replaced stream is not reopened: its successor has the current filter.
      if (signal.aborted || this.#listen !== owner) return;
      if (answer?.kind === "error") {
        this.#logger.warn(`The server refused subscriptions/listen: ${answer.error.message}`);
        // A server without listen will not grow it by being asked again.
        if (answer.error.code === JsonRpcErrorCodes.METHOD_NOT_FOUND) return;
      }
      failures = acked && Date.now() - since >= STABLE_LISTEN_MS ? 1 : failures + 1;
    }
  }

  #announceChanges(filter: Params): void {
    for (const change of listChangedFor(filter)) this.#deliver(change);
  }
}
