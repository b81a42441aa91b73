// Tells the local client's protocol era from its first message and picks the
// remote leg that serves it. An `initialize` (or anything not modern) is a
// 2025 local client: today's leg, given every message unchanged. A request
// whose `_meta` names a protocol version is a 2026-07-28 local client, which
// needs no initialize: a `server/discover` probe tells whether the remote
// speaks 2026-07-28 too (relay as is) or only the 2025 era (core's gateway
// translates). A stdio connection has one client, so the choice holds for the
// process; it costs nothing per message after the first.
// Spec: docs/specification/2026-07-28/basic/versioning.mdx, basic/index.mdx#_meta.
import {
  classifyEra,
  classifyMessage,
  ErrorCodes,
  LATEST_MODERN_PROTOCOL_VERSION,
  type Logger,
  McpProxyError,
  META,
  type ProtocolEraOption,
  silentLogger,
} from "@mcp-proxy/core";
import type { LegacyClient } from "@mcp-proxy/core/internal";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import { DeferredTransport } from "./deferred-transport.js";
import { GatewayTransport } from "./gateway-transport.js";
import { createDispatcher } from "./http.js";
import type { ModernHttp } from "./modern-post.js";
import { ModernRelayTransport } from "./modern-relay.js";
import type { HttpClientOptions } from "./options.js";
import { probeRemote } from "./remote-probe.js";

type Params = Record<string, unknown>;

export interface LocalEraOptions {
  url: string | URL;
  options: HttpClientOptions;
  /**
   * For a modern local client: `false` when the remote can only be 2025-era
   * (protocol "legacy", or the HTTP+SSE transport), else the `protocol` option
   * ("auto": probe, else the gateway; "modern": probe, else fail).
   */
  probe: false | Exclude<ProtocolEraOption, "legacy">;
  /** The leg for a 2025 local client (as before this transport existed). */
  createLegacyClientLeg: () => Transport;
  /** A fresh 2025-era remote session, for the gateway. */
  createRemoteSession: () => Transport;
}

export class LocalEraTransport extends DeferredTransport {
  readonly #o: LocalEraOptions;
  readonly #logger: Logger;
  readonly #probeAbort = new AbortController();

  constructor(options: LocalEraOptions) {
    super();
    this.#o = options;
    this.#logger = options.options.logger ?? silentLogger;
  }

  protected interrupt(): void {
    this.#probeAbort.abort();
  }

  protected async choose(message: JSONRPCMessage): Promise<void> {
    const modern = classifyMessage(message) === "request" && classifyEra(message) === "modern";
    if (!modern) return this.adoptAndSend(this.#o.createLegacyClientLeg(), message);
    const leg = await this.#modernClientLeg(message as JSONRPCRequest);
    if (leg) return this.adoptAndSend(leg, message);
  }

  /** The leg for a modern local client; undefined when it failed (first message answered) or we closed. */
  async #modernClientLeg(first: JSONRPCRequest): Promise<Transport | undefined> {
    const client = clientOf(first);
    if (this.#o.probe === false) return this.#gateway(client);
    let http: ModernHttp;
    try {
      const url = new URL(this.#o.url);
      http = { url, options: this.#o.options, dispatcher: createDispatcher(this.#o.options) };
    } catch (error) {
      this.#fail(first, error);
      return undefined;
    }
    const outcome = await probeRemote(http, client, this.#probeAbort.signal);
    if (this.closed) {
      await http.dispatcher.destroy().catch(() => {});
      return undefined;
    }
    if (outcome.era === "failed") {
      await http.dispatcher.destroy().catch(() => {});
      this.#fail(first, outcome.error);
      return undefined;
    }
    if (outcome.era !== "legacy") {
      // A modern server that refused the probe still answers the client's own
      // requests best itself (e.g. -32022 with the versions to retry with).
      this.#logger.info("The local client and the server speak MCP 2026-07-28; relaying");
      return new ModernRelayTransport({ http, logger: this.#logger });
    }
    await http.dispatcher.destroy().catch(() => {});
    if (this.#o.probe === "modern") {
      this.#fail(
        first,
        new McpProxyError(
          ErrorCodes.UNSUPPORTED_PROTOCOL_VERSION,
          `The server does not speak MCP ${LATEST_MODERN_PROTOCOL_VERSION} (${outcome.reason})`,
        ),
      );
      return undefined;
    }
    this.#logger.debug(`The server speaks the 2025 protocol: ${outcome.reason}`);
    return this.#gateway(client);
  }

  #gateway(client: LegacyClient): Transport {
    this.#logger.info(
      "The local client speaks MCP 2026-07-28; translating for the 2025-era server",
    );
    const info = client.clientInfo as Params | undefined;
    const named = typeof info?.name === "string" && typeof info.version === "string";
    return new GatewayTransport({
      createRemote: this.#o.createRemoteSession,
      logger: this.#logger,
      ...(named
        ? { clientInfo: { name: info.name as string, version: info.version as string } }
        : {}),
    });
  }

  #fail(first: JSONRPCMessage, error: unknown): void {
    this.#logger.error(error instanceof Error ? error.message : String(error));
    this.failFirst(first, error);
  }
}

/**
 * The modern local client's identity from its request's `_meta`, for the probe, in the shape
 * core's translation takes (`LegacyClient`, with no protocolVersion: there was no initialize).
 */
function clientOf(request: JSONRPCRequest): LegacyClient {
  const meta = ((request.params as Params | undefined)?._meta ?? {}) as Params;
  const caps = meta[META.clientCapabilities];
  return {
    protocolVersion: undefined,
    clientInfo: meta[META.clientInfo],
    capabilities: typeof caps === "object" && caps !== null ? (caps as Params) : {},
  };
}
