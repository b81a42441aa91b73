// Chooses the protocol era towards the remote for a 2025 local client, on its
// `initialize`: probe the remote with a 2026-07-28 `server/discover`; a DiscoverResult naming a
// version we speak means modern (ModernClientTransport translates), anything
// else means the 2025 path (the legacy transport, given the initialize
// unchanged). The probe is made once per process and its answer kept, as the
// spec recommends for an origin.
// Spec: docs/specification/2026-07-28/basic/transports/streamable-http.mdx#backward-compatibility
import {
  classifyMessage,
  ErrorCodes,
  LATEST_MODERN_PROTOCOL_VERSION,
  type Logger,
  McpProxyError,
  type ProtocolEraOption,
  silentLogger,
} from "@mcp-proxy/core";
import { legacyClientOf } from "@mcp-proxy/core/internal";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import { DeferredTransport } from "./deferred-transport.js";
import { createDispatcher } from "./http.js";
import { methodOf } from "./messages.js";
import { ModernClientTransport } from "./modern-client.js";
import type { ModernHttp } from "./modern-post.js";
import type { HttpClientOptions } from "./options.js";
import { probeRemote } from "./remote-probe.js";

export class EraTransport extends DeferredTransport {
  readonly #url: URL;
  /** Never "legacy": that needs no choice (start-stdio-server uses the 2025 transport alone). */
  readonly #protocol: Exclude<ProtocolEraOption, "legacy">;
  readonly #options: HttpClientOptions;
  readonly #logger: Logger;
  readonly #createLegacy: () => Transport;
  readonly #probeAbort = new AbortController();

  constructor(
    url: string | URL,
    protocol: Exclude<ProtocolEraOption, "legacy">,
    options: HttpClientOptions,
    createLegacy: () => Transport,
  ) {
    super();
    this.#url = new URL(url);
    this.#protocol = protocol;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#createLegacy = createLegacy;
  }

  protected interrupt(): void {
    this.#probeAbort.abort();
  }

  protected async choose(message: JSONRPCMessage): Promise<void> {
    const isInitialize =
      classifyMessage(message) === "request" && methodOf(message) === "initialize";
    if (!isInitialize && this.#protocol === "auto") {
      // Only an initialize opens a conversation we can translate; anything else keeps 2025 rules.
      return this.adoptAndSend(this.#createLegacy(), message);
    }
    const http: ModernHttp = {
      url: this.#url,
      options: this.#options,
      dispatcher: createDispatcher(this.#options),
    };
    const outcome = await probeRemote(
      http,
      legacyClientOf(message as JSONRPCRequest),
      this.#probeAbort.signal,
    );
    if (this.closed) {
      await http.dispatcher.destroy().catch(() => {});
      return;
    }
    if (outcome.era === "modern") {
      this.#logger.info(
        `The server speaks MCP ${outcome.version}; translating for the local client`,
      );
      const modern = new ModernClientTransport({
        http,
        discover: outcome.discover,
        version: outcome.version,
        logger: this.#logger,
      });
      return this.adoptAndSend(modern, message);
    }
    await http.dispatcher.destroy().catch(() => {});
    if (outcome.era === "failed") {
      this.#logger.error(outcome.error.message);
      this.failFirst(message, outcome.error);
      return;
    }
    if (this.#protocol === "modern" || outcome.era === "refused") {
      const what =
        outcome.era === "refused"
          ? "The modern server refused our probe"
          : `The server does not speak MCP ${LATEST_MODERN_PROTOCOL_VERSION}`;
      const error = new McpProxyError(
        ErrorCodes.UNSUPPORTED_PROTOCOL_VERSION,
        `${what} (${outcome.reason})`,
      );
      this.#logger.error(error.message);
      this.failFirst(message, error);
      return;
    }
    this.#logger.debug(`Speaking the 2025 protocol: ${outcome.reason}`);
    return this.adoptAndSend(this.#createLegacy(), message);
  }
}
