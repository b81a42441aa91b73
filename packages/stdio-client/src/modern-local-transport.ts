// What both legs for a 2026-07-28 local client share: each local request is
// served on its own (relayed to a modern server, or translated by the gateway
// for a 2025-era one), a local `notifications/cancelled` aborts it (on HTTP,
// closing the response stream is the cancellation), and nothing else a modern
// client sends needs forwarding (it answers input requests by retrying).
// Spec: docs/specification/2026-07-28/basic/transports/streamable-http.mdx#cancellation.
import {
  classifyMessage,
  ErrorCodes,
  type Logger,
  McpProxyError,
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

export abstract class ModernLocalTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  protected readonly logger: Logger;
  /** Local requests in flight, by id: aborting one cancels it. */
  readonly #calls = new Map<RequestId, AbortController>();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(logger: Logger | undefined) {
    this.logger = logger ?? silentLogger;
  }

  /** Serves one local request, writing what answers it through `deliver`; aborted on cancel or close. */
  protected abstract serve(request: JSONRPCRequest, signal: AbortSignal): Promise<void>;

  /** Runs before the calls are aborted, while answers can still be written. */
  protected async beforeClose(): Promise<void> {}

  /** Runs after the calls are aborted. */
  protected async afterClose(): Promise<void> {}

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Transport is closed");
    const kind = classifyMessage(message);
    if (kind === "request") {
      void this.#run(message as JSONRPCRequest);
      return;
    }
    const m = message as JSONRPCNotification;
    if (kind === "notification" && m.method === "notifications/cancelled") {
      const id = (m.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) this.#calls.get(id)?.abort();
      return;
    }
    this.logger.debug("Not forwarding a message a 2026-07-28 server has no use for", {
      method: m.method,
      id: messageId(message),
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.beforeClose();
      this.#closed = true;
      for (const abort of this.#calls.values()) abort.abort();
      await this.afterClose();
      this.onclose?.();
    })();
    return this.#closing;
  }

  protected deliver(message: JSONRPCMessage): void {
    if (!this.#closed) this.onmessage?.(message);
  }

  async #run(request: JSONRPCRequest): Promise<void> {
    const abort = new AbortController();
    this.#calls.get(request.id)?.abort();
    this.#calls.set(request.id, abort);
    try {
      await this.serve(request, abort.signal);
    } finally {
      if (this.#calls.get(request.id) === abort) this.#calls.delete(request.id);
    }
  }
}
