// The remote leg for a 2026-07-28 local client in front of a 2025-era server
// (Streamable HTTP or HTTP+SSE): core's ModernGateway does the translation
// (server/discover from the handshake, the server's sampling, elicitation and
// roots requests as input_required results, subscriptions/listen onto the
// server's notifications), with a 2025 remote session as its upstream. This
// transport only hands it the local requests and writes what it answers.
// Spec: docs/specification/2026-07-28/basic/patterns/mrtr.mdx, basic/patterns/subscriptions.
import { type Logger, ModernGateway, type ModernSink } from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import { ModernLocalTransport } from "./modern-local-transport.js";

export interface GatewayTransportOptions {
  /** A fresh 2025-era remote session (not started); the gateway opens one per upstream it needs. */
  createRemote: () => Transport;
  /** How the gateway introduces itself to the remote: the local client's name, when it gave one. */
  clientInfo?: { name: string; version: string };
  logger?: Logger;
}

export class GatewayTransport extends ModernLocalTransport {
  readonly #gateway: ModernGateway;
  /** Delivers to the local client, whatever request it answers. */
  readonly #sink: ModernSink = {
    notify: (notification) => this.deliver(notification),
    respond: (message) => this.deliver(message),
  };

  constructor(options: GatewayTransportOptions) {
    super(options.logger);
    this.#gateway = new ModernGateway({
      createUpstream: options.createRemote,
      upstreamProtocol: "legacy",
      logger: this.logger,
      ...(options.clientInfo ? { clientInfo: options.clientInfo } : {}),
    });
  }

  protected serve(request: JSONRPCRequest, signal: AbortSignal): Promise<void> {
    // handle() never throws: every outcome, listen streams included, reaches the sink.
    return this.#gateway.handle(request, this.#sink, signal);
  }

  protected override async beforeClose(): Promise<void> {
    // Open listen streams end with their graceful result while we still write.
    await this.#gateway.close();
  }
}
