// A Streamable HTTP client transport (MCP 2025-03-26 … 2025-11-25) on undici.
// POST per message; answers come as JSON or as an SSE stream; a standalone GET
// stream carries server-initiated messages. Dropped streams resume with
// Last-Event-ID. HTTP failures of a request reach the caller as a JSON-RPC
// error response, so no request is ever left hanging.
// Spec: docs/specification/2025-11-25/basic/transports.mdx#streamable-http
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
import { backoffDelay, maxReconnectAttempts, pause } from "./backoff.js";
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
import {
  decodeMessages,
  errorResponse,
  isJsonRpcErrorBody,
  isModernJsonRpcError,
  methodOf,
  receiveEventData,
} from "./messages.js";
import {
  afterAuthorization,
  currentAuthorization,
  type OAuthContext,
  oauthContextOf,
  sendAuthorized,
} from "./oauth-flow.js";
import { DEFAULT_CLOSE_TIMEOUT_MS, type HttpClientOptions } from "./options.js";
import { SseParser } from "./sse-parser.js";

const ACCEPT_POST = "application/json, text/event-stream";
const ACCEPT_SSE = "text/event-stream";

/** What the first POST told auto mode about the server (internal). */
export type ProbeResult = "ok" | "legacy" | "failed";

type Body = Dispatcher.ResponseData["body"];

/** Where a stream got to, so that a reconnect can resume after it. */
interface Cursor {
  lastEventId?: string;
}

export class StreamableHttpClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  readonly #url: URL;
  readonly #options: HttpClientOptions;
  readonly #logger: Logger;
  readonly #dispatcher: Dispatcher;
  readonly #oauth: OAuthContext | undefined;
  readonly #abort = transportAbortController();
  /** Local requests still waiting for their response. */
  readonly #pending = new Set<RequestId>();
  readonly #initializeIds = new Set<RequestId>();
  #sessionId: string | undefined;
  #protocolVersion: string | undefined;
  #sessionLost = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #getAbort: AbortController | undefined;
  /** Open while an initialize awaits its answer: later messages need the session id it brings. */
  #handshake: { done: Promise<void>; open: () => void } | undefined;
  #getCursor: Cursor = {};
  #serverRetry: number | undefined;

  constructor(url: string | URL, options: HttpClientOptions = {}) {
    this.#url = new URL(url);
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#dispatcher = createDispatcher(options);
    this.#oauth = oauthContextOf(options, this.#url, this.#dispatcher, this.#logger);
  }

  /** The Mcp-Session-Id the server assigned, once initialized. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** The protocol version negotiated by initialize, sent as MCP-Protocol-Version. */
  get protocolVersion(): string | undefined {
    return this.#protocolVersion;
  }

  setProtocolVersion(version: string): void {
    this.#protocolVersion = version;
  }

  async start(): Promise<void> {
    // Nothing to connect up front: the first POST opens the session.
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Transport is closed");
    if (methodOf(message) === "initialize" && classifyMessage(message) === "request") {
      // A client that pipes initialize, initialized and its first request at once (a
      // script) must not have the latter two sent before the session exists.
      let open!: () => void;
      const done = new Promise<void>((resolve) => {
        open = resolve;
      });
      const handshake = { done, open };
      this.#handshake = handshake;
      const result = await this.#post(message, false).catch((error: unknown) => {
        this.#endHandshake(handshake);
        throw error;
      });
      // Answered already (JSON), or failed: either way nothing more to wait for.
      if (result !== "ok" || !this.#initializeIds.has(messageId(message) as RequestId)) {
        this.#endHandshake(handshake);
      }
      return;
    }
    if (this.#handshake) await this.#handshake.done;
    if (this.#closed) throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Transport is closed");
    await this.#post(message, false);
  }

  #endHandshake(handshake = this.#handshake): void {
    if (!handshake) return;
    handshake.open();
    if (this.#handshake === handshake) this.#handshake = undefined;
  }

  /**
   * Sends the first message and reports whether the server looks like a
   * 2024-11-05 SSE-only server (400/404/405 without a JSON-RPC error that
   * refuses the message itself, see isModernJsonRpcError).
   * On "legacy" nothing was delivered for the message. Used by auto mode.
   * @internal
   */
  probe(message: JSONRPCMessage): Promise<ProbeResult> {
    return this.#post(message, true);
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #post(message: JSONRPCMessage, probe: boolean): Promise<ProbeResult> {
    const id = classifyMessage(message) === "request" ? messageId(message) : undefined;
    const method = methodOf(message);
    if (method === "initialize" && id !== undefined) {
      // A (re-)initialize starts a new session; the old one is over either way.
      if (this.#sessionId !== undefined) this.#resetSession();
      this.#initializeIds.add(id);
    } else if (this.#sessionLost) {
      if (id !== undefined) this.#deliver(errorResponse(id, this.#sessionLostError()));
      return "failed";
    }
    if (id !== undefined) this.#pending.add(id);
    const sentSession = this.#sessionId;

    let response: Dispatcher.ResponseData;
    try {
      const body = JSON.stringify(message);
      const timeout = requestTimeout(this.#options);
      // A request refused for its token is sent again after the authorization (once).
      response = await sendAuthorized(this.#oauth, "interactive", async (authorization) =>
        request(this.#url, {
          method: "POST",
          headers: await buildHeaders(
            this.#options,
            { "content-type": "application/json", accept: ACCEPT_POST, ...authorization },
            this.#protocolHeaders(),
          ),
          body,
          dispatcher: this.#dispatcher,
          headersTimeout: timeout,
          bodyTimeout: timeout,
          signal: this.#abort.signal,
        }),
      );
    } catch (cause) {
      if (this.#closed) return "failed";
      const error = networkError(cause, this.#url);
      this.#logger.error(error.message);
      this.#fail(id, error);
      return "failed";
    }

    const { statusCode, headers, body } = response;
    if (statusCode >= 200 && statusCode < 300) {
      const sid = header(headers, "mcp-session-id");
      if (sid !== undefined && this.#sessionId === undefined) this.#sessionId = sid;
      if (method === "notifications/initialized") this.#openStandaloneStream();
      const type = header(headers, "content-type") ?? "";
      if (statusCode === 202 || statusCode === 204) {
        await body.dump().catch(() => {});
        if (id !== undefined) {
          // A request must get JSON or an event stream (spec): "accepted" alone would leave
          // the local client waiting forever.
          const error = new McpProxyError(
            ErrorCodes.INVALID_MESSAGE,
            `${this.#url.href} answered ${method ?? "the request"} with HTTP ${statusCode} and no response`,
          );
          this.#logger.error(error.message);
          this.#fail(id, error);
          return "failed";
        }
        return "ok";
      }
      if (type.includes("text/event-stream")) {
        // Read in the background: the stream lives as long as the request.
        void this.#readResponseStream(body, id);
        return "ok";
      }
      await this.#readJsonBody(body, id);
      return "ok";
    }

    const text = await body.text().catch(() => "");
    if (
      probe &&
      sentSession === undefined &&
      [400, 404, 405].includes(statusCode) &&
      !isModernJsonRpcError(text)
    ) {
      if (id !== undefined) {
        this.#pending.delete(id);
        this.#initializeIds.delete(id);
      }
      return "legacy";
    }
    if (statusCode === 404 && sentSession !== undefined) {
      this.#onSessionLost();
      return "failed";
    }
    if (id !== undefined && statusCode !== 401 && statusCode !== 403 && isJsonRpcErrorBody(text)) {
      // The server explained itself in JSON-RPC: pass that on, under our id.
      const [first] = decodeMessages(text);
      if (first) this.#deliver({ ...first, id } as JSONRPCMessage);
      return "failed";
    }
    const error = statusError(statusCode, this.#url, excerpt(text), afterAuthorization(response));
    this.#logger.error(error.message);
    if (id === undefined) this.onerror?.(error);
    this.#fail(id, error);
    return "failed";
  }

  async #readJsonBody(body: Body, id: RequestId | undefined): Promise<void> {
    let text: string;
    try {
      text = await body.text();
    } catch (cause) {
      this.#fail(id, networkError(cause, this.#url));
      return;
    }
    if (text.trim() === "") {
      this.#fail(
        id,
        new McpProxyError(ErrorCodes.INVALID_MESSAGE, "The server sent an empty response"),
      );
      return;
    }
    try {
      for (const message of decodeMessages(text)) this.#deliver(message);
    } catch {
      this.#fail(
        id,
        new McpProxyError(ErrorCodes.PARSE_ERROR, `The server sent invalid JSON: ${excerpt(text)}`),
      );
    }
    // A JSON body that did not answer the request will never be followed by one.
    this.#fail(
      id,
      new McpProxyError(
        ErrorCodes.INVALID_MESSAGE,
        "The server's response did not answer the request",
      ),
    );
  }

  async #readResponseStream(body: Body, id: RequestId | undefined): Promise<void> {
    const cursor: Cursor = {};
    const answered = () => id === undefined || !this.#pending.has(id);
    await this.#consume(body, cursor);
    if (this.#closed || this.#sessionLost || answered()) return;
    if (cursor.lastEventId === undefined) {
      this.#fail(
        id,
        new McpProxyError(
          ErrorCodes.UPSTREAM_CLOSED,
          "The server closed the response stream before answering, and the stream cannot be resumed (no event ids)",
        ),
      );
      return;
    }
    this.#logger.warn("Response stream dropped before the answer; resuming", {
      lastEventId: cursor.lastEventId,
    });
    await this.#streamLoop(cursor, answered, this.#abort.signal, "response stream");
    if (!this.#closed && !this.#sessionLost && !answered()) {
      this.#fail(
        id,
        new McpProxyError(
          ErrorCodes.UPSTREAM_CLOSED,
          "Could not resume the response stream; the request is lost",
        ),
      );
    }
  }

  /** Opens the standalone GET stream once per session; reconnects it while the session lives. */
  #openStandaloneStream(): void {
    if (this.#getAbort || this.#closed) return;
    const abort = new AbortController();
    this.#getAbort = abort;
    const signal = AbortSignal.any([abort.signal, this.#abort.signal]);
    void this.#streamLoop(this.#getCursor, () => false, signal, "GET stream").finally(() => {
      if (this.#getAbort === abort) this.#getAbort = undefined;
    });
  }

  /**
   * Opens GET event streams until `done()`, reconnecting with Last-Event-ID
   * after drops, with bounded backoff. A cursor with an id resumes that stream.
   */
  async #streamLoop(
    cursor: Cursor,
    done: () => boolean,
    signal: AbortSignal,
    label: string,
  ): Promise<void> {
    let failures = 0;
    let wait = cursor.lastEventId !== undefined;
    const stop = () => this.#closed || this.#sessionLost || signal.aborted || done();
    for (;;) {
      if (stop()) return;
      if (failures >= maxReconnectAttempts(this.#options.reconnect)) {
        this.#logger.error(`Giving up on the ${label} after ${failures} failed attempts`);
        return;
      }
      const delay = backoffDelay(
        failures + 1,
        this.#serverRetry,
        undefined,
        this.#options.reconnect,
      );
      if (wait && !(await pause(delay, signal))) return;
      if (stop()) return;
      wait = true;
      let response: Dispatcher.ResponseData;
      try {
        const protocol = this.#protocolHeaders();
        if (cursor.lastEventId !== undefined) protocol["last-event-id"] = cursor.lastEventId;
        // A stream is no request of the client's: it may refresh a token, never open a browser.
        response = await sendAuthorized(this.#oauth, "background", async (authorization) =>
          request(this.#url, {
            method: "GET",
            headers: await buildHeaders(
              this.#options,
              { accept: ACCEPT_SSE, ...authorization },
              protocol,
            ),
            dispatcher: this.#dispatcher,
            headersTimeout: requestTimeout(this.#options),
            bodyTimeout: 0,
            signal,
          }),
        );
      } catch (cause) {
        if (stop()) return;
        failures++;
        this.#logger.warn(`Cannot open the ${label}: ${networkError(cause, this.#url).message}`);
        continue;
      }
      const { statusCode, headers, body } = response;
      const type = header(headers, "content-type") ?? "";
      if (statusCode === 405 && cursor.lastEventId === undefined) {
        await body.dump().catch(() => {});
        this.#logger.debug("The server offers no standalone GET stream (405)");
        return;
      }
      if (statusCode < 200 || statusCode >= 300 || !type.includes("text/event-stream")) {
        const text = await body.text().catch(() => "");
        if (statusCode === 404 && this.#sessionId !== undefined) {
          this.#onSessionLost();
          return;
        }
        failures++;
        const error = statusError(statusCode, this.#url, excerpt(text));
        this.#logger.warn(`Cannot open the ${label}: ${error.message}`);
        continue;
      }
      const before = cursor.lastEventId;
      const gotEvents = await this.#consume(body, cursor);
      failures = gotEvents || cursor.lastEventId !== before ? 0 : failures + 1;
      if (!stop())
        this.#logger.debug(`The ${label} ended; reconnecting`, { lastEventId: cursor.lastEventId });
    }
  }

  /** Reads an SSE body to its end, delivering messages; true if any event arrived. */
  async #consume(body: Body, cursor: Cursor): Promise<boolean> {
    let events = 0;
    const parser = new SseParser((event) => {
      events++;
      if (event.id !== undefined) cursor.lastEventId = event.id;
      if (event.retry !== undefined) this.#serverRetry = event.retry;
      // Empty data: a priming event that only carries an id.
      if (event.event !== "message" || event.data.trim() === "") return;
      receiveEventData(
        event.data,
        (m) => this.#deliver(m),
        this.#logger,
        (e) => this.onerror?.(e),
      );
    });
    try {
      for await (const chunk of body) parser.push(chunk as Buffer);
    } catch (cause) {
      if (!this.#closed) this.#logger.debug("An event stream broke", { error: cause });
    }
    return events > 0;
  }

  #deliver(message: JSONRPCMessage): void {
    const kind = classifyMessage(message);
    if (kind === "response" || kind === "error") {
      const id = messageId(message);
      if (id !== undefined) {
        this.#pending.delete(id);
        if (this.#initializeIds.delete(id)) {
          const version = (message as { result?: { protocolVersion?: unknown } }).result
            ?.protocolVersion;
          if (typeof version === "string") this.#protocolVersion = version;
          this.#endHandshake();
        }
      }
    }
    this.onmessage?.(message);
  }

  #fail(id: RequestId | undefined, error: unknown): void {
    if (id === undefined || !this.#pending.has(id)) return;
    this.#deliver(errorResponse(id, error));
  }

  #protocolHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.#sessionId !== undefined) headers["mcp-session-id"] = this.#sessionId;
    if (this.#protocolVersion !== undefined)
      headers["mcp-protocol-version"] = this.#protocolVersion;
    return headers;
  }

  #sessionLostError(): McpProxyError {
    return new McpProxyError(
      ErrorCodes.SESSION_NOT_FOUND,
      "The remote server no longer knows this session (404); the MCP client must re-initialize (reconnect) to continue",
    );
  }

  #onSessionLost(): void {
    if (this.#sessionLost) return;
    this.#sessionLost = true;
    const error = this.#sessionLostError();
    this.#logger.error(`${error.message} [session ${this.#sessionId}]`);
    this.#getAbort?.abort();
    for (const id of [...this.#pending]) this.#fail(id, error);
    if (this.#options.closeOnSessionLost) void this.close();
  }

  #resetSession(): void {
    const old = this.#sessionId;
    this.#getAbort?.abort();
    this.#getAbort = undefined;
    this.#getCursor = {};
    const version = this.#protocolVersion;
    this.#sessionId = undefined;
    this.#protocolVersion = undefined;
    const wasLost = this.#sessionLost;
    this.#sessionLost = false;
    if (old !== undefined && !wasLost) void this.#deleteSession(old, version);
  }

  async #deleteSession(sessionId: string, version = this.#protocolVersion): Promise<void> {
    try {
      const protocol: Record<string, string> = { "mcp-session-id": sessionId };
      if (version !== undefined) protocol["mcp-protocol-version"] = version;
      // With the token at hand: a close does not wait for an authorization.
      const authorization = await currentAuthorization(this.#oauth);
      const response = await request(this.#url, {
        method: "DELETE",
        headers: await buildHeaders(this.#options, authorization, protocol),
        dispatcher: this.#dispatcher,
        headersTimeout: DEFAULT_CLOSE_TIMEOUT_MS,
        bodyTimeout: DEFAULT_CLOSE_TIMEOUT_MS,
        signal: AbortSignal.timeout(DEFAULT_CLOSE_TIMEOUT_MS),
      });
      await response.body.dump().catch(() => {});
      // 405: the server does not let clients end sessions; that is allowed.
      this.#logger.debug("Ended the remote session", { status: response.statusCode });
    } catch (cause) {
      this.#logger.warn(
        `Could not end the remote session: ${networkError(cause, this.#url).message}`,
      );
    }
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    this.#endHandshake();
    this.#getAbort?.abort();
    if (this.#sessionId !== undefined && !this.#sessionLost)
      await this.#deleteSession(this.#sessionId);
    this.#abort.abort();
    await this.#dispatcher.destroy().catch(() => {});
    this.onclose?.();
  }
}
