// Picks the remote transport on the first message: Streamable HTTP, or the
// 2024-11-05 SSE transport when the server refuses the POST the way an
// SSE-only server does (400/404/405 without a JSON-RPC error body). Connecting
// lazily also means a failed connection answers the first request with a
// JSON-RPC error instead of killing the process before the client speaks.
// Spec: docs/specification/2025-11-25/basic/transports.mdx#backwards-compatibility
import { type Logger, silentLogger } from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { DeferredTransport } from "./deferred-transport.js";
import type { HttpClientOptions } from "./options.js";
import { SseClientTransport } from "./sse-client.js";
import { StreamableHttpClientTransport } from "./streamable-http-client.js";

export type RemoteTransportKind = "stream" | "sse" | "auto";

export class AutoClientTransport extends DeferredTransport {
  readonly #url: URL;
  readonly #kind: "sse" | "auto";
  readonly #options: HttpClientOptions;
  readonly #logger: Logger;
  /** The transport being tried, so that close() can cut a slow connect short. */
  #candidate: Transport | undefined;

  constructor(url: string | URL, kind: "sse" | "auto", options: HttpClientOptions = {}) {
    super();
    this.#url = new URL(url);
    this.#kind = kind;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  protected async interrupt(): Promise<void> {
    await this.#candidate?.close();
  }

  /** Connects with the first message; on failure answers it and stays unconnected. */
  protected async choose(message: JSONRPCMessage): Promise<void> {
    if (this.#kind === "auto") {
      const stream = new StreamableHttpClientTransport(this.#url, this.#options);
      this.#candidate = stream;
      stream.onmessage = (m) => this.onmessage?.(m);
      stream.onerror = (e) => this.onerror?.(e);
      const result = await stream.probe(message).finally(() => {
        this.#candidate = undefined;
      });
      if (result === "ok" && !this.closed) {
        this.adopt(stream);
        return;
      }
      stream.onmessage = undefined;
      await stream.close();
      if (result !== "legacy" || this.closed) return;
      this.#logger.info(
        "The server does not speak Streamable HTTP; falling back to HTTP+SSE (2024-11-05)",
      );
    }
    const sse = new SseClientTransport(this.#url, this.#options);
    this.#candidate = sse;
    try {
      await sse.start();
    } catch (error) {
      if (this.closed) return;
      this.#logger.error(error instanceof Error ? error.message : String(error));
      this.failFirst(message, error);
      return;
    } finally {
      this.#candidate = undefined;
    }
    if (this.closed) {
      await sse.close();
      return;
    }
    this.adopt(sse);
    await sse.send(message);
  }
}
