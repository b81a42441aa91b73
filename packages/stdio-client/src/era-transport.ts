// Chooses the protocol era on the local client's `initialize`: probe the
// remote with a 2026-07-28 `server/discover`; a DiscoverResult naming a
// version we speak means modern (ModernClientTransport translates), anything
// else means the 2025 path (the legacy transport, given the initialize
// unchanged). The probe is made once per process and its answer kept, as the
// spec recommends for an origin.
// Spec: docs/specification/2026-07-28/basic/transports/streamable-http.mdx#backward-compatibility
import {
  classifyMessage,
  ErrorCodes,
  isLegacyProtocolVersion,
  JsonRpcErrorCodes,
  LATEST_MODERN_PROTOCOL_VERSION,
  type Logger,
  McpProxyError,
  silentLogger,
} from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import { DeferredTransport } from "./deferred-transport.js";
import { createDispatcher } from "./http.js";
import { methodOf } from "./messages.js";
import { ModernClientTransport } from "./modern-client.js";
import { type ModernHttp, modernPost } from "./modern-post.js";
import { localClientOf, modernRequest, sharedModernVersion } from "./modern-translate.js";
import type { HttpClientOptions } from "./options.js";

/**
 * `legacy`: only the 2025 handshake; `modern`: only 2026-07-28 (fail when the
 * server does not speak it); `auto`: probe, fall back to legacy.
 */
export type RemoteProtocol = "legacy" | "auto" | "modern";

/** How long the `server/discover` probe may take before the server counts as legacy, ms. */
export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

type ProbeOutcome =
  | { era: "modern"; discover: Record<string, unknown>; version: string }
  | { era: "legacy"; reason: string }
  /** A modern server that refused us: falling back to initialize would only fail less clearly. */
  | { era: "refused"; reason: string };

/** Modern errors that name a modern server (HeaderMismatch, MissingRequiredClientCapability). */
const MODERN_REFUSALS: ReadonlySet<number> = new Set([-32020, -32021]);

export class EraTransport extends DeferredTransport {
  readonly #url: URL;
  readonly #protocol: "auto" | "modern";
  readonly #options: HttpClientOptions;
  readonly #logger: Logger;
  readonly #createLegacy: () => Transport;
  readonly #probeAbort = new AbortController();

  constructor(
    url: string | URL,
    protocol: "auto" | "modern",
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
      return this.#adoptAndSend(this.#createLegacy(), message);
    }
    const http: ModernHttp = {
      url: this.#url,
      options: this.#options,
      dispatcher: createDispatcher(this.#options),
    };
    const outcome = await this.#probe(http, message as JSONRPCRequest);
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
      return this.#adoptAndSend(modern, message);
    }
    await http.dispatcher.destroy().catch(() => {});
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
    return this.#adoptAndSend(this.#createLegacy(), message);
  }

  /**
   * `server/discover` with the local client's identity. A result listing a
   * version we speak is modern; everything else (a 2025 server's 400/404 for a
   * request without a session, a -32601, a -32022 without our version, a
   * network failure the legacy path will report itself) is legacy.
   */
  async #probe(http: ModernHttp, initialize: JSONRPCRequest): Promise<ProbeOutcome> {
    const client = localClientOf(initialize);
    const request = modernRequest(
      "mcp-proxy-discover",
      "server/discover",
      undefined,
      client,
      undefined,
    );
    const signal = AbortSignal.any([
      this.#probeAbort.signal,
      AbortSignal.timeout(DEFAULT_PROBE_TIMEOUT_MS),
    ]);
    try {
      const answer = await modernPost(http, request, { signal });
      if (answer.kind === "error") {
        const { code, message, data } = answer.error;
        const reason = `server/discover answered HTTP ${answer.status} with error ${code} (${message})`;
        if (MODERN_REFUSALS.has(code)) return { era: "refused", reason };
        if (code === JsonRpcErrorCodes.UNSUPPORTED_PROTOCOL_VERSION) {
          // A dual-era server lists its 2025 versions too: the handshake will work.
          const supported = (data as { supported?: unknown } | undefined)?.supported;
          const legacy = Array.isArray(supported) && supported.some(isLegacyProtocolVersion);
          if (!legacy)
            return {
              era: "refused",
              reason: `${reason}; it supports ${JSON.stringify(supported)}`,
            };
        }
        return { era: "legacy", reason };
      }
      const version = sharedModernVersion(answer.result);
      if (version === undefined) {
        return {
          era: "legacy",
          reason: `server/discover lists ${JSON.stringify(answer.result.supportedVersions)}`,
        };
      }
      return { era: "modern", discover: answer.result, version };
    } catch (error) {
      return { era: "legacy", reason: error instanceof Error ? error.message : String(error) };
    }
  }

  async #adoptAndSend(inner: Transport, first: JSONRPCMessage): Promise<void> {
    this.adopt(inner);
    await inner.start();
    await inner.send(first);
  }
}
