// The upstream factory handed to core's ModernGateway: a Transport that the
// gateway can create synchronously, which opens the user's upstream (their
// async createUpstream, or an SDK Server over an in-process pair) when the
// gateway starts it. The gateway is its one owner and closes it. Each one is
// reported to onConnect / onClose with `transport: "modern"`.
import type { IncomingMessage } from "node:http";
import { ErrorCodes, type Logger, McpProxyError } from "@mcp-proxy/core";
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { SessionInfo, StartHTTPServerOptions } from "./options.js";
import { reportClosed } from "./session-info.js";
import { createUpstreamFor, type OpenedUpstream } from "./upstream.js";

/**
 * A Transport that opens the user's upstream when started (not when created), so the
 * gateway's synchronous factory can hand it out. (Not stdio-client's DeferredTransport, which
 * picks its inner transport on the first message.)
 */
class LazyUpstream implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  #inner: Transport | undefined;
  #closed = false;
  #info: SessionInfo | undefined;
  readonly #open: () => Promise<OpenedUpstream>;
  readonly #options: StartHTTPServerOptions;
  readonly #logger: Logger;

  constructor(
    open: () => Promise<OpenedUpstream>,
    options: StartHTTPServerOptions,
    logger: Logger,
  ) {
    this.#open = open;
    this.#options = options;
    this.#logger = logger;
  }

  async start(): Promise<void> {
    const opened = await this.#open().catch((cause: unknown) => {
      throw new McpProxyError(
        ErrorCodes.SPAWN_FAILED,
        "Bad Gateway: the upstream could not be created",
        { cause },
      );
    });
    const inner = opened.transport;
    if (this.#closed) {
      await inner.close().catch(() => undefined);
      throw new Error("Upstream closed before it started");
    }
    this.#inner = inner;
    inner.onmessage = (message) => this.onmessage?.(message as JSONRPCMessage);
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => this.#markClosed();
    await inner.start();
    const info: SessionInfo = { transport: "modern", upstream: inner };
    if (opened.server) info.server = opened.server;
    // As for a 2025 session: a throwing onConnect refuses the upstream.
    try {
      await this.#options.onConnect?.(info);
    } catch (error) {
      await this.close().catch(() => undefined);
      throw error;
    }
    this.#info = info;
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
    const info = this.#info;
    if (info) reportClosed(this.#options, this.#logger, info);
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
  logger: Logger,
): () => Transport {
  return () =>
    new LazyUpstream(() => createUpstreamFor(options, request(), undefined), options, logger);
}
