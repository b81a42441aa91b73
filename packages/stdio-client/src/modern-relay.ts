// The remote leg for a 2026-07-28 local client in front of a 2026-07-28
// server: both speak the same stateless revision, so each local request goes
// out as its own POST, as it is, and its answer comes back as it is
// (`resultType`, `input_required` with the server's `inputRequests` keys and
// `requestState`: the local client does the MRTR rounds itself). What stdio
// has and HTTP has not is bridged: the request-metadata headers are built from
// the body, and `notifications/cancelled` becomes closing the response stream.
// Spec: docs/specification/2026-07-28/basic/transports/streamable-http.mdx (sending
// messages, cancellation), basic/patterns/subscriptions.
import {
  classifyMessage,
  ErrorCodes,
  type Logger,
  McpProxyError,
  META,
  messageId,
  silentLogger,
} from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { transportAbortController } from "./http.js";
import { errorResponse } from "./messages.js";
import type { ModernHttp } from "./modern-post.js";
import { RemoteTools } from "./remote-tools.js";

type Params = Record<string, unknown>;

/** The `_meta` keys that say who is asking; the tools/list of a relist carries them too. */
const ENVELOPE_KEYS = [META.protocolVersion, META.clientCapabilities, META.clientInfo] as const;

export interface ModernRelayOptions {
  http: ModernHttp;
  logger?: Logger;
}

export class ModernRelayTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  readonly #http: ModernHttp;
  readonly #logger: Logger;
  readonly #abort = transportAbortController();
  readonly #tools: RemoteTools;
  /** Local requests in flight, by id: aborting one closes its response stream. */
  readonly #calls = new Map<RequestId, AbortController>();
  #nextList = 1;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: ModernRelayOptions) {
    this.#http = options.http;
    this.#logger = options.logger ?? silentLogger;
    this.#tools = new RemoteTools(this.#http);
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Transport is closed");
    const kind = classifyMessage(message);
    if (kind === "request") {
      void this.#relay(message as JSONRPCRequest);
      return;
    }
    const m = message as JSONRPCNotification;
    if (kind === "notification" && m.method === "notifications/cancelled") {
      // On HTTP, closing the response stream is the cancellation.
      const id = (m.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) this.#calls.get(id)?.abort();
      return;
    }
    // 2026-07-28 defines no other client notifications on HTTP, and no
    // server->client requests a response could answer.
    this.#logger.debug("Not forwarding a message the modern server has no use for", {
      method: m.method,
      id: messageId(message),
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#abort.abort();
      await this.#http.dispatcher.destroy().catch(() => {});
      this.onclose?.();
    })();
    return this.#closing;
  }

  #deliver(message: JSONRPCMessage): void {
    if (!this.#closed) this.onmessage?.(message);
  }

  async #relay(request: JSONRPCRequest): Promise<void> {
    const abort = new AbortController();
    this.#calls.get(request.id)?.abort();
    this.#calls.set(request.id, abort);
    const signal = AbortSignal.any([abort.signal, this.#abort.signal]);
    try {
      const answer = await this.#tools.post(
        request,
        {
          onNotification: (n) => this.#deliver(n),
          signal,
          // A listen stream stays open for as long as the client wants it.
          longLived: request.method === "subscriptions/listen",
        },
        (params) => this.#toolsList(request, params),
      );
      if (signal.aborted) return;
      this.#deliver(
        (answer.kind === "result"
          ? { jsonrpc: "2.0", id: request.id, result: answer.result }
          : { jsonrpc: "2.0", id: request.id, error: answer.error }) as JSONRPCMessage,
      );
    } catch (error) {
      if (signal.aborted) return;
      this.#logger.error(error instanceof Error ? error.message : String(error));
      this.#deliver(errorResponse(request.id, error));
    } finally {
      if (this.#calls.get(request.id) === abort) this.#calls.delete(request.id);
    }
  }

  /** A tools/list in the name of the client that sent `request`. */
  #toolsList(request: JSONRPCRequest, params: Params | undefined): JSONRPCRequest {
    const meta = ((request.params as Params | undefined)?._meta ?? {}) as Params;
    const envelope: Params = {};
    for (const key of ENVELOPE_KEYS) if (meta[key] !== undefined) envelope[key] = meta[key];
    return {
      jsonrpc: "2.0",
      id: `mcp-proxy-tools-${this.#nextList++}`,
      method: "tools/list",
      params: { ...(params ?? {}), _meta: envelope },
    };
  }
}
