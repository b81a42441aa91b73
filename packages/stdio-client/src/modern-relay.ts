// The remote leg for a 2026-07-28 local client in front of a 2026-07-28
// server: both speak the same stateless revision, so each local request goes
// out as its own POST, as it is, and its answer comes back as it is
// (`resultType`, `input_required` with the server's `inputRequests` keys and
// `requestState`: the local client does the MRTR rounds itself). What stdio
// has and HTTP has not is bridged: the request-metadata headers are built from
// the body, and `notifications/cancelled` becomes closing the response stream.
// Spec: docs/specification/2026-07-28/basic/transports/streamable-http.mdx (sending
// messages, cancellation), basic/patterns/subscriptions.
import { type Logger, META } from "@mcp-proxy/core";
import type { JSONRPCMessage, JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import { errorResponse } from "./messages.js";
import { ModernLocalTransport } from "./modern-local-transport.js";
import type { ModernHttp } from "./modern-post.js";
import { RemoteTools } from "./remote-tools.js";

type Params = Record<string, unknown>;

/** The `_meta` keys that say who is asking; the tools/list of a relist carries them too. */
const ENVELOPE_KEYS = [META.protocolVersion, META.clientCapabilities, META.clientInfo] as const;

export interface ModernRelayOptions {
  http: ModernHttp;
  logger?: Logger;
}

export class ModernRelayTransport extends ModernLocalTransport {
  readonly #http: ModernHttp;
  readonly #tools: RemoteTools;
  #nextList = 1;

  constructor(options: ModernRelayOptions) {
    super(options.logger);
    this.#http = options.http;
    this.#tools = new RemoteTools(this.#http);
  }

  protected override async afterClose(): Promise<void> {
    await this.#http.dispatcher.destroy().catch(() => {});
  }

  protected async serve(request: JSONRPCRequest, signal: AbortSignal): Promise<void> {
    try {
      const answer = await this.#tools.post(
        request,
        {
          onNotification: (n) => this.deliver(n),
          signal,
          // A listen stream stays open for as long as the client wants it.
          longLived: request.method === "subscriptions/listen",
        },
        (params) => this.#toolsList(request, params),
      );
      if (signal.aborted) return;
      this.deliver(
        (answer.kind === "result"
          ? { jsonrpc: "2.0", id: request.id, result: answer.result }
          : { jsonrpc: "2.0", id: request.id, error: answer.error }) as JSONRPCMessage,
      );
    } catch (error) {
      if (signal.aborted) return;
      this.logger.error(error instanceof Error ? error.message : String(error));
      this.deliver(errorResponse(request.id, error));
    }
  }

  /** A tools/list in the name of the client that sent `request`. */
  #toolsList(request: JSONRPCRequest, params: Params | undefined): JSONRPCRequest {
    const meta = ((request.params as Params | undefined)?._meta ?? {}) as Params;
    const envelope: Params = {};
    for (const key of ENVELOPE_KEYS) if (meta[key] !== undefined) envelope[key] = meta[key];
    return {
      jsonrpc: "2.0",
      id: `mcp-proxy-tools-${this.#nextList++}`,
      method: "tools/list",
      params: { ...(params ?? {}), _meta: envelope },
    };
  }
}
