// The remote leg for a 2026-07-28 local client in front of a 2025-era server
// (Streamable HTTP or HTTP+SSE): core's ModernGateway does the translation
// (server/discover from the handshake, the server's sampling, elicitation and
// roots requests as input_required results, subscriptions/listen onto the
// server's notifications), with a 2025 remote session as its upstream. This
// transport only hands it the local requests and writes what it answers.
// Spec: docs/specification/2026-07-28/basic/patterns/mrtr.mdx, basic/patterns/subscriptions.
import {
  classifyMessage,
  ErrorCodes,
  type Logger,
  McpProxyError,
  ModernGateway,
  type ModernSink,
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

export interface GatewayTransportOptions {
  /** A fresh 2025-era remote session (not started); the gateway opens one per upstream it needs. */
  createRemote: () => Transport;
  /** How the gateway introduces itself to the remote: the local client's name, when it gave one. */
  clientInfo?: { name: string; version: string };
  logger?: Logger;
}

export class GatewayTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  readonly #gateway: ModernGateway;
  readonly #logger: Logger;
  /** Local requests in flight, by id: aborting one cancels it at the gateway. */
  readonly #calls = new Map<RequestId, AbortController>();
  /** Delivers to the local client, whatever request it answers. */
  readonly #sink: ModernSink = {
    notify: (notification) => this.#deliver(notification),
    respond: (message) => this.#deliver(message),
  };
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: GatewayTransportOptions) {
    this.#logger = options.logger ?? silentLogger;
    this.#gateway = new ModernGateway({
      createUpstream: options.createRemote,
      upstreamProtocol: "legacy",
      logger: this.#logger,
      ...(options.clientInfo ? { clientInfo: options.clientInfo } : {}),
    });
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Transport is closed");
    const kind = classifyMessage(message);
    if (kind === "request") {
      void this.#handle(message as JSONRPCRequest);
      return;
    }
    const m = message as JSONRPCNotification;
    if (kind === "notification" && m.method === "notifications/cancelled") {
      const id = (m.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) this.#calls.get(id)?.abort();
      return;
    }
    // A modern client answers input requests by retrying, never with a response.
    this.#logger.debug("Not forwarding a message the gateway has no use for", {
      method: m.method,
      id: messageId(message),
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Open listen streams end with their graceful result while we still write.
      await this.#gateway.close();
      this.#closed = true;
      for (const abort of this.#calls.values()) abort.abort();
      this.onclose?.();
    })();
    return this.#closing;
  }

  #deliver(message: JSONRPCMessage): void {
    if (!this.#closed) this.onmessage?.(message);
  }

  async #handle(request: JSONRPCRequest): Promise<void> {
    const abort = new AbortController();
    this.#calls.get(request.id)?.abort();
    this.#calls.set(request.id, abort);
    try {
      // handle() never throws: every outcome, listen streams included, reaches the sink.
      await this.#gateway.handle(request, this.#sink, abort.signal);
    } finally {
      if (this.#calls.get(request.id) === abort) this.#calls.delete(request.id);
    }
  }
}
