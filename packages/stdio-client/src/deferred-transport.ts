// A Transport that picks its inner transport on the first message: messages
// queue in order until a subclass has chosen, then pass straight through.
// Choosing lazily lets a failed connection answer the first request with a
// JSON-RPC error instead of killing the process before the client speaks.
import { classifyMessage, ErrorCodes, McpProxyError, messageId } from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { errorResponse } from "./messages.js";

export abstract class DeferredTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  #inner: Transport | undefined;
  /** Messages wait here, in order, until a transport is chosen. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | undefined;

  async start(): Promise<void> {}

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed)
      return Promise.reject(new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Transport is closed"));
    if (this.#inner) return this.#inner.send(message);
    const next = this.#queue.then(() =>
      this.#inner ? this.#inner.send(message) : this.choose(message),
    );
    this.#queue = next.catch(() => {});
    return next;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await this.interrupt();
      await this.#queue;
      const inner = this.#inner;
      if (inner) await inner.close();
      else this.onclose?.();
    })();
    return this.#closing;
  }

  protected get closed(): boolean {
    return this.#closed;
  }

  /** Chooses the inner transport with the first message; on failure answers it and stays unchosen. */
  protected abstract choose(message: JSONRPCMessage): Promise<void>;

  /** Cuts a choice in progress short when close() is called. */
  protected abstract interrupt(): Promise<void> | void;

  /** Makes `inner` the transport every later message goes through. */
  protected adopt(inner: Transport): void {
    inner.onmessage = (m) => this.onmessage?.(m);
    inner.onerror = (e) => this.onerror?.(e);
    inner.onclose = () => this.onclose?.();
    this.#inner = inner;
  }

  /** Adopts `inner`, starts it and hands it the first message. */
  protected async adoptAndSend(inner: Transport, first: JSONRPCMessage): Promise<void> {
    this.adopt(inner);
    await inner.start();
    await inner.send(first);
  }

  /** Answers the first message, when it is a request, with the reason no transport was chosen. */
  protected failFirst(message: JSONRPCMessage, error: unknown): void {
    const id = classifyMessage(message) === "request" ? messageId(message) : undefined;
    if (id !== undefined) this.onmessage?.(errorResponse(id, error));
  }
}
