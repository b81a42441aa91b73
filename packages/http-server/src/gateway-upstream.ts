// The upstream factory handed to core's ModernGateway: a Transport that the
// gateway can create synchronously, which opens the user's upstream (their
// async createUpstream, or an SDK Server over an in-process pair) when the
// gateway starts it. The gateway is its one owner and closes it.
import type { IncomingMessage } from "node:http";
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { StartHTTPServerOptions } from "./options.js";
import { createUpstreamFor } from "./upstream.js";

class DeferredTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  #inner: Transport | undefined;
  #closed = false;
  readonly #open: () => Promise<Transport>;

  constructor(open: () => Promise<Transport>) {
    this.#open = open;
  }

  async start(): Promise<void> {
    const inner = await this.#open().catch((cause: unknown) => {
      throw new McpProxyError(
        ErrorCodes.SPAWN_FAILED,
        "Bad Gateway: the upstream could not be created",
        { cause },
      );
    });
    if (this.#closed) {
      await inner.close().catch(() => undefined);
      throw new Error("Upstream closed before it started");
    }
    this.#inner = inner;
    inner.onmessage = (message) => this.onmessage?.(message as JSONRPCMessage);
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => this.#markClosed();
    await inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const inner = this.#inner;
    if (!inner || this.#closed) throw new Error("Not connected");
    await inner.send(message, options);
  }

  async close(): Promise<void> {
    const inner = this.#inner;
    this.#markClosed();
    await inner?.close();
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }
}

/**
 * A synchronous factory for the gateway's shared upstream. `request` names the
 * modern request that made the gateway open it (reported to the user's
 * factory as a session-less context, like stateless mode's shared upstream).
 */
export function gatewayUpstreamFactory(
  options: StartHTTPServerOptions,
  request: () => IncomingMessage,
): () => Transport {
  return () =>
    new DeferredTransport(
      async () => (await createUpstreamFor(options, request(), undefined)).transport,
    );
}
