// One MCP 2026-07-28 request over Streamable HTTP: a POST carrying the
// request-metadata headers, answered by JSON or by an SSE stream scoped to the
// request. Notifications on that stream are handed to the caller; the final
// response is returned. Aborting the signal closes the response stream, which
// the 2026 revision defines as the cancellation of the request.
// Spec: docs/specification/2026-07-28/basic/transports/streamable-http.mdx
import { ErrorCodes, McpProxyError, modernRequestHeaders, silentLogger } from "@mcp-proxy/core";
import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { type Dispatcher, request } from "undici";
import {
  buildHeaders,
  excerpt,
  header,
  networkError,
  requestTimeout,
  statusError,
} from "./http.js";
import { decodeMessages, isJsonRpcErrorBody } from "./messages.js";
import { afterAuthorization, oauthContextOf, sendAuthorized } from "./oauth-flow.js";
import type { HttpClientOptions } from "./options.js";
import { SseParser } from "./sse-parser.js";

const ACCEPT_POST = "application/json, text/event-stream";

/** The HTTP context every modern POST shares. */
export interface ModernHttp {
  url: URL;
  options: HttpClientOptions;
  dispatcher: Dispatcher;
}

/** The response a modern request ended with: a result or a JSON-RPC error. */
export type ModernAnswer =
  | { kind: "result"; result: Record<string, unknown> }
  | { kind: "error"; error: { code: number; message: string; data?: unknown }; status: number };

export interface ModernPostOptions {
  /** Called for every notification on the response stream, in order. */
  onNotification?: (notification: JSONRPCNotification) => void;
  /** For `tools/call`: the tool's inputSchema, to mirror `x-mcp-header` parameters. */
  toolInputSchema?: unknown;
  /** Closing the stream cancels the request. */
  signal?: AbortSignal;
  /** No idle limit on the body (a `subscriptions/listen` stream may be quiet for long). */
  longLived?: boolean;
  /**
   * Bounds each HTTP exchange, ms, but not an OAuth login between a refused attempt and its
   * retry (the probe must not give up on a server while its user logs in).
   */
  attemptTimeout?: number;
}

/**
 * POSTs one modern request and resolves with its answer. Throws McpProxyError
 * for transport failures (network, non-JSON-RPC HTTP errors, a stream that
 * ended without an answer).
 */
export async function modernPost(
  http: ModernHttp,
  message: JSONRPCRequest,
  options: ModernPostOptions = {},
): Promise<ModernAnswer> {
  const timeout = requestTimeout(http.options);
  const oauth = oauthContextOf(
    http.options,
    http.url,
    http.dispatcher,
    http.options.logger ?? silentLogger,
  );
  let response: Dispatcher.ResponseData;
  try {
    const body = JSON.stringify(message);
    const protocol = modernRequestHeaders(message, options.toolInputSchema);
    // A listen stream is no request of the client's: it may refresh a token, never open a browser.
    const mode = options.longLived ? "background" : "interactive";
    response = await sendAuthorized(oauth, mode, async (authorization) => {
      const signals = [options.signal, attemptSignal(options.attemptTimeout)];
      const live = signals.filter((s): s is AbortSignal => s !== undefined);
      return request(http.url, {
        method: "POST",
        headers: await buildHeaders(
          http.options,
          { "content-type": "application/json", accept: ACCEPT_POST, ...authorization },
          protocol,
        ),
        body,
        dispatcher: http.dispatcher,
        headersTimeout: timeout,
        bodyTimeout: options.longLived ? 0 : timeout,
        signal: live.length > 1 ? AbortSignal.any(live) : live[0],
      });
    });
  } catch (cause) {
    throw networkError(cause, http.url);
  }
  const { statusCode, headers, body } = response;
  if (statusCode < 200 || statusCode >= 300) {
    const text = await body.text().catch(() => "");
    if (statusCode !== 401 && statusCode !== 403 && isJsonRpcErrorBody(text)) {
      const answer = answerOf(decodeMessages(text), message.id);
      if (answer?.kind === "error") return { ...answer, status: statusCode };
    }
    throw statusError(statusCode, http.url, excerpt(text), afterAuthorization(response));
  }
  const type = header(headers, "content-type") ?? "";
  if (!type.includes("text/event-stream")) {
    let text: string;
    try {
      text = await body.text();
    } catch (cause) {
      throw networkError(cause, http.url);
    }
    let messages: JSONRPCMessage[];
    try {
      messages = decodeMessages(text);
    } catch {
      throw new McpProxyError(
        ErrorCodes.PARSE_ERROR,
        `The server sent invalid JSON: ${excerpt(text)}`,
      );
    }
    for (const m of messages) notify(m, options);
    const answer = answerOf(messages, message.id);
    if (answer) return answer.kind === "error" ? { ...answer, status: statusCode } : answer;
    throw new McpProxyError(
      ErrorCodes.INVALID_MESSAGE,
      "The server's response did not answer the request",
    );
  }
  let answer: ModernAnswer | undefined;
  const parser = new SseParser((event) => {
    if (answer || event.event !== "message" || event.data.trim() === "") return;
    let messages: JSONRPCMessage[];
    try {
      messages = decodeMessages(event.data);
    } catch {
      return;
    }
    for (const m of messages) notify(m, options);
    answer = answerOf(messages, message.id);
  });
  try {
    for await (const chunk of body) {
      parser.push(chunk as Buffer);
      // The answer ends the exchange; a server that keeps the stream open is cut off.
      if (answer) break;
    }
  } catch (cause) {
    if (!answer) throw networkError(cause, http.url);
  }
  if (answer) return answer.kind === "error" ? { ...answer, status: statusCode } : answer;
  throw new McpProxyError(
    ErrorCodes.UPSTREAM_CLOSED,
    "The server closed the response stream before answering",
  );
}

function attemptSignal(ms: number | undefined): AbortSignal | undefined {
  return ms === undefined ? undefined : AbortSignal.timeout(ms);
}

function notify(message: JSONRPCMessage, options: ModernPostOptions): void {
  const m = message as { method?: unknown; id?: unknown };
  // Servers of this revision send no requests on a response stream; only notifications pass.
  if (typeof m.method === "string" && m.id === undefined)
    options.onNotification?.(message as JSONRPCNotification);
}

function answerOf(messages: JSONRPCMessage[], id: unknown): ModernAnswer | undefined {
  for (const m of messages) {
    const r = m as { id?: unknown; result?: unknown; error?: unknown; method?: unknown };
    if (r.method !== undefined || r.id !== id) continue;
    if (typeof r.error === "object" && r.error !== null) {
      const e = r.error as { code?: unknown; message?: unknown; data?: unknown };
      return {
        kind: "error",
        status: 200,
        error: {
          code: typeof e.code === "number" ? e.code : -32603,
          message: typeof e.message === "string" ? e.message : "error",
          ...(e.data !== undefined ? { data: e.data } : {}),
        },
      };
    }
    if (typeof r.result === "object" && r.result !== null)
      return { kind: "result", result: r.result as Record<string, unknown> };
  }
  return undefined;
}
