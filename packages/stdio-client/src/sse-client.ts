// The 2024-11-05 HTTP+SSE client transport on undici: GET opens an event
// stream whose first `endpoint` event names the URL to POST messages to;
// everything the server says arrives on that stream. The session lives and
// dies with the stream, so a drop ends the transport (the client must reconnect).
// Spec: docs/specification/2024-11-05/basic/transports.mdx#http-with-sse
import {
  classifyMessage,
  ErrorCodes,
  type Logger,
  McpProxyError,
  messageId,
  silentLogger,
} from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { type Dispatcher, request } from "undici";
import {
  buildHeaders,
  createDispatcher,
  excerpt,
  header,
  networkError,
  requestTimeout,
  statusError,
  transportAbortController,
} from "./http.js";
import { decodeMessages, errorResponse, isJsonRpcErrorBody, receiveEventData } from "./messages.js";
import {
  afterAuthorization,
  type OAuthContext,
  oauthContextOf,
  sendAuthorized,
} from "./oauth-flow.js";
import type { HttpClientOptions } from "./options.js";
import { SseParser } from "./sse-parser.js";

export class SseClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  readonly #url: URL;
  readonly #options: HttpClientOptions;
  readonly #logger: Logger;
  readonly #dispatcher: Dispatcher;
  readonly #oauth: OAuthContext | undefined;
  readonly #abort = transportAbortController();
  readonly #pending = new Set<RequestId>();
  #endpoint: URL | undefined;
  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(url: string | URL, options: HttpClientOptions = {}) {
    this.#url = new URL(url);
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#dispatcher = createDispatcher(options);
    this.#oauth = oauthContextOf(options, this.#url, this.#dispatcher, this.#logger);
  }

  /** The URL messages are POSTed to, once the server has named it. */
  get endpoint(): URL | undefined {
    return this.#endpoint;
  }

  /** Opens the event stream and waits for the `endpoint` event. Rejects with an McpProxyError. */
  async start(): Promise<void> {
    if (this.#started)
      throw new McpProxyError(ErrorCodes.INTERNAL, "SseClientTransport already started");
    this.#started = true;
    let response: Dispatcher.ResponseData;
    try {
      // The stream opens for the client's first message: a login may start here.
      response = await sendAuthorized(this.#oauth, "interactive", async (authorization) =>
        request(this.#url, {
          method: "GET",
          headers: await buildHeaders(this.#options, {
            accept: "text/event-stream",
            ...authorization,
          }),
          dispatcher: this.#dispatcher,
          headersTimeout: requestTimeout(this.#options),
          bodyTimeout: 0,
          signal: this.#abort.signal,
        }),
      );
    } catch (cause) {
      throw networkError(cause, this.#url);
    }
    const { statusCode, headers, body } = response;
    const type = header(headers, "content-type") ?? "";
    if (statusCode < 200 || statusCode >= 300 || !type.includes("text/event-stream")) {
      const text = await body.text().catch(() => "");
      throw statusCode >= 300
        ? statusError(statusCode, this.#url, excerpt(text), afterAuthorization(response))
        : new McpProxyError(
            ErrorCodes.BAD_REQUEST,
            `${this.#url.href} did not answer with an event stream`,
          );
    }
    await new Promise<void>((resolve, reject) => {
      const parser = new SseParser((event) => {
        if (event.event === "endpoint") {
          if (this.#endpoint) return;
          const endpoint = this.#resolveEndpoint(event.data);
          if (endpoint instanceof Error) {
            reject(endpoint);
            return;
          }
          this.#endpoint = endpoint;
          resolve();
          return;
        }
        if (event.event !== "message" || event.data.trim() === "") return;
        receiveEventData(
          event.data,
          (m) => this.#deliver(m),
          this.#logger,
          (e) => this.onerror?.(e),
        );
      });
      void this.#read(body, parser).then(() => {
        reject(
          new McpProxyError(
            ErrorCodes.UPSTREAM_CLOSED,
            `${this.#url.href} closed the event stream before naming an endpoint`,
          ),
        );
        this.#streamEnded();
      });
    }).catch(async (error: unknown) => {
      this.#abort.abort();
      await this.#dispatcher.destroy().catch(() => {});
      throw error;
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Transport is closed");
    const endpoint = this.#endpoint;
    if (!endpoint)
      throw new McpProxyError(ErrorCodes.NOT_STARTED, "SseClientTransport is not started");
    const id = classifyMessage(message) === "request" ? messageId(message) : undefined;
    if (id !== undefined) this.#pending.add(id);
    let response: Dispatcher.ResponseData;
    try {
      const body = JSON.stringify(message);
      const timeout = requestTimeout(this.#options);
      response = await sendAuthorized(this.#oauth, "interactive", async (authorization) =>
        request(endpoint, {
          method: "POST",
          headers: await buildHeaders(this.#options, {
            "content-type": "application/json",
            ...authorization,
          }),
          body,
          dispatcher: this.#dispatcher,
          headersTimeout: timeout,
          bodyTimeout: timeout,
          signal: this.#abort.signal,
        }),
      );
    } catch (cause) {
      if (this.#closed) return;
      const error = networkError(cause, this.#url);
      this.#logger.error(error.message);
      this.#fail(id, error);
      return;
    }
    const text = await response.body.text().catch(() => "");
    if (response.statusCode >= 200 && response.statusCode < 300) return;
    if (response.statusCode === 404) {
      // The SSE server forgot our session: only a new connection helps.
      const error = new McpProxyError(
        ErrorCodes.SESSION_NOT_FOUND,
        "The remote server no longer knows this SSE session (404); the MCP client must reconnect",
      );
      this.#logger.error(error.message);
      this.#failAll(error);
      return;
    }
    if (id !== undefined && isJsonRpcErrorBody(text)) {
      const [first] = decodeMessages(text);
      if (first) this.#deliver({ ...first, id } as JSONRPCMessage);
      return;
    }
    const error = statusError(
      response.statusCode,
      endpoint,
      excerpt(text),
      afterAuthorization(response),
    );
    this.#logger.error(error.message);
    if (id === undefined) this.onerror?.(error);
    this.#fail(id, error);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#abort.abort();
      await this.#dispatcher.destroy().catch(() => {});
      this.onclose?.();
    })();
    return this.#closing;
  }

  #resolveEndpoint(data: string): URL | McpProxyError {
    let endpoint: URL;
    try {
      endpoint = new URL(data.trim(), this.#url);
    } catch {
      return new McpProxyError(
        ErrorCodes.INVALID_MESSAGE,
        `Invalid endpoint event: ${excerpt(data)}`,
      );
    }
    // Never post the session's messages (and our credentials) to another origin.
    if (endpoint.origin !== this.#url.origin) {
      return new McpProxyError(
        ErrorCodes.INVALID_MESSAGE,
        `The endpoint ${endpoint.origin} is not on the server's origin ${this.#url.origin}`,
      );
    }
    return endpoint;
  }

  async #read(body: Dispatcher.ResponseData["body"], parser: SseParser): Promise<void> {
    try {
      for await (const chunk of body) parser.push(chunk as Buffer);
    } catch (cause) {
      if (!this.#closed) this.#logger.debug("The SSE stream broke", { error: cause });
    }
  }

  /** The stream is the session: once it ends, fail what waits and close. */
  #streamEnded(): void {
    if (this.#closed || !this.#endpoint) return;
    const error = new McpProxyError(
      ErrorCodes.UPSTREAM_CLOSED,
      "The remote server closed the SSE stream; the session is over and the MCP client must reconnect",
    );
    this.#logger.error(error.message);
    this.#failAll(error);
    void this.close();
  }

  #deliver(message: JSONRPCMessage): void {
    const kind = classifyMessage(message);
    if (kind === "response" || kind === "error") {
      const id = messageId(message);
      if (id !== undefined) this.#pending.delete(id);
    }
    this.onmessage?.(message);
  }

  #fail(id: RequestId | undefined, error: unknown): void {
    if (id === undefined || !this.#pending.has(id)) return;
    this.#deliver(errorResponse(id, error));
  }

  #failAll(error: unknown): void {
    for (const id of [...this.#pending]) this.#fail(id, error);
  }
}
