// MCP 2026-07-28 (stateless) on the Streamable HTTP endpoint: the transport
// rules around core's ModernGateway. One POST is one request: headers checked
// against the body, then answered with JSON when the final response comes
// first, or an SSE stream from the first notification on; subscriptions/listen
// is a long-lived SSE stream. Closing a response stream cancels its request.
// Spec: 2026-07-28 basic/transports/streamable-http.mdx.
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ErrorCodes,
  type JsonRpcErrorBody,
  JsonRpcErrorCodes,
  LEGACY_PROTOCOL_VERSIONS,
  type Logger,
  META,
  MODERN_PROTOCOL_VERSIONS,
  ModernGateway,
  type ModernSink,
  modernErrorStatus,
  type ProtocolEra,
  type ProtocolEraOption,
  validateModernRequest,
} from "@mcp-proxy/core";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCRequest,
  JSONRPCResultResponse,
} from "@modelcontextprotocol/sdk/types.js";
import type { ModernHandler } from "./context.js";
import { gatewayUpstreamFactory } from "./gateway-upstream.js";
import type { UpstreamSendOptions } from "./in-process.js";
import { noteRefusal } from "./metrics.js";
import type { StartHTTPServerOptions } from "./options.js";
import type { AcceptInfo } from "./request-info.js";
import { sendJson, statusHeaders } from "./responses.js";
import { SseWriter } from "./sse-writer.js";

/** Versions a dual-era endpoint lists in `server/discover` and -32022 errors. */
export const DUAL_ERA_VERSIONS: readonly string[] = [
  ...LEGACY_PROTOCOL_VERSIONS,
  ...MODERN_PROTOCOL_VERSIONS,
];

export interface ModernEndpointOptions {
  upstreamProtocol: ProtocolEraOption | undefined;
  maxUpstreams: number | undefined;
  heartbeatMs: number;
  logger: Logger;
  /** Starts every requestState handed out (a cluster's replica id). */
  requestStatePrefix?: string | undefined;
}

export class ModernEndpoint implements ModernHandler {
  readonly #gateway: ModernGateway;
  readonly #heartbeatMs: number;
  readonly #metrics: boolean;
  readonly #jsonResponses: boolean;
  /** Requests (not listens) being answered: close() lets them finish first. */
  #pending = 0;
  #lastRequest: IncomingMessage | undefined;

  constructor(options: StartHTTPServerOptions, settings: ModernEndpointOptions) {
    this.#heartbeatMs = settings.heartbeatMs;
    this.#metrics = options.metrics !== undefined;
    this.#jsonResponses = options.enableJsonResponse === true;
    this.#gateway = new ModernGateway({
      createUpstream: gatewayUpstreamFactory(
        options,
        () => this.#lastRequest as IncomingMessage,
        settings.logger,
      ),
      upstreamProtocol: settings.upstreamProtocol,
      maxUpstreams: settings.maxUpstreams,
      advertisedVersions: DUAL_ERA_VERSIONS,
      onListenSubscriptions: options.onListenSubscriptions,
      requestStatePrefix: settings.requestStatePrefix,
      logger: settings.logger,
    });
  }

  /** Publishes a change notification to the open listen streams (the handle's `notify`). */
  publish(method: string, params?: Record<string, unknown>): void {
    this.#gateway.publish(params ? { jsonrpc: "2.0", method, params } : { jsonrpc: "2.0", method });
  }

  /** The gateway's health: false once upstream failures exceed its restart budget. */
  get healthy(): boolean {
    return this.#gateway.healthy;
  }

  get upstreamEra(): ProtocolEra | undefined {
    return this.#gateway.upstreamEra;
  }

  get pendingCount(): number {
    return this.#pending;
  }

  close(): Promise<void> {
    return this.#gateway.close();
  }

  /** Serves one modern POST whose body is `message` (already parsed once). */
  async handlePost(
    req: IncomingMessage,
    res: ServerResponse,
    message: JSONRPCMessage,
    accept: AcceptInfo,
    authInfo?: AuthInfo,
  ): Promise<void> {
    const supported = { supportedVersions: MODERN_PROTOCOL_VERSIONS };
    const advertised = { advertisedVersions: DUAL_ERA_VERSIONS };
    let checked = validateModernRequest({
      headers: req.headers,
      message,
      ...supported,
      ...advertised,
    });
    if (!checked.ok) {
      this.#refuse(req, res, checked);
      return;
    }
    const request = message as JSONRPCRequest;
    if (request.id === undefined) {
      // Notifications carry nothing this revision needs from a client (cancellation is a closed stream).
      res.writeHead(202).end();
      return;
    }
    this.#lastRequest = req;
    if (request.method === "tools/call") {
      // Mcp-Param-* must mirror the arguments the tool's schema marks with x-mcp-header.
      const name = (request.params as { name?: unknown } | undefined)?.name;
      const schema =
        typeof name === "string"
          ? await this.#gateway
              .toolInputSchema(name, clientCapabilitiesOf(request))
              .catch(() => undefined)
          : undefined;
      if (schema !== undefined) {
        checked = validateModernRequest({
          headers: req.headers,
          message,
          toolInputSchema: schema,
          ...supported,
          ...advertised,
        });
        if (!checked.ok) {
          this.#refuse(req, res, checked);
          return;
        }
      }
    }
    // As on the 2025 path: an in-process server sees who asked and the request's headers.
    const sendOptions: UpstreamSendOptions = { authInfo, requestInfo: { headers: req.headers } };
    await this.#serve(request, res, accept, sendOptions);
  }

  /** Answers a request the 2026-07-28 rules refuse (and counts it, with metrics on). */
  #refuse(
    req: IncomingMessage,
    res: ServerResponse,
    refusal: { status: number; jsonRpcError: JsonRpcErrorBody },
  ): void {
    if (this.#metrics) noteRefusal(req, refusalCode(refusal.jsonRpcError.error.code));
    sendJson(res, refusal.status, refusal.jsonRpcError);
  }

  async #serve(
    request: JSONRPCRequest,
    res: ServerResponse,
    accept: AcceptInfo,
    sendOptions: UpstreamSendOptions,
  ): Promise<void> {
    const listen = request.method === "subscriptions/listen";
    // enableJsonResponse: a request whose client takes JSON is answered with JSON alone (a
    // listen stream is a stream by nature).
    const streamable = accept.sse && (listen || !(this.#jsonResponses && accept.json));
    const abort = new AbortController();
    // 2026-07-28 has no resumability: a closed response stream cancels its request.
    res.once("close", () => {
      if (!res.writableEnded) abort.abort();
    });
    // The client may already have gone while the tool schema was fetched.
    if (res.destroyed) abort.abort();
    let sse: SseWriter | undefined;
    const openStream = (): SseWriter | undefined => {
      if (!sse && streamable && !res.headersSent && !res.destroyed) {
        sse = new SseWriter(res, {}, this.#heartbeatMs);
      }
      return sse;
    };
    // A client that accepts only SSE gets a stream from the start; listen always streams.
    if (listen || !accept.json) openStream();
    const sink: ModernSink = {
      notify: (notification) => {
        // JSON-only clients cannot receive notifications: they get the final answer alone.
        openStream()?.writeMessage(notification);
      },
      respond: (response: JSONRPCResultResponse | JSONRPCErrorResponse, proxyStatus?: number) => {
        if (sse) {
          sse.writeMessage(response);
          sse.end();
          return;
        }
        // The proxy's own failures (upstream unreachable: 502) keep their status, as on the 2025 path.
        const status =
          "error" in response ? (proxyStatus ?? modernErrorStatus(response.error.code)) : 200;
        sendJson(res, status, response, statusHeaders(status));
      },
    };
    if (!listen) this.#pending++;
    try {
      await this.#gateway.handle(request, sink, abort.signal, sendOptions);
    } finally {
      if (!listen) this.#pending--;
      // The gateway answers or was aborted; never leave a response hanging either way.
      if (sse) sse.end();
      else if (!res.writableEnded) res.end();
    }
  }
}

/** The client capabilities a modern request declares (validated already by validateModernRequest). */
function clientCapabilitiesOf(request: JSONRPCRequest): unknown {
  const meta = (request.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  return meta?.[META.clientCapabilities];
}

/** The error code a refused 2026-07-28 request is counted under. */
function refusalCode(jsonRpcCode: number): string {
  if (jsonRpcCode === JsonRpcErrorCodes.HEADER_MISMATCH) return ErrorCodes.HEADER_MISMATCH;
  if (jsonRpcCode === JsonRpcErrorCodes.UNSUPPORTED_PROTOCOL_VERSION) {
    return ErrorCodes.UNSUPPORTED_PROTOCOL_VERSION;
  }
  return ErrorCodes.BAD_REQUEST;
}
