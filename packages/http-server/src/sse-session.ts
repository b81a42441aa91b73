// The 2024-11-05 HTTP+SSE transport: GET on the SSE endpoint opens the stream
// (which is the session) and names the messages URL in an `endpoint` event;
// messages POSTed there are forwarded and answered on the stream.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ErrorCodes,
  JsonRpcErrorCodes,
  jsonRpcError,
  type Logger,
  McpProxyError,
} from "@mcp-proxy/core";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { assertJsonContentType, parseJsonRpc, readBody } from "./body.js";
import type { ServerContext } from "./context.js";
import { refusesNewSessions } from "./endpoint.js";
import { idKey } from "./exchange.js";
import type { UpstreamSendOptions } from "./in-process.js";
import { noteBody } from "./metrics.js";
import type { McpServerLike } from "./options.js";
import { bindSession, mayUseSession } from "./principal.js";
import { MethodNotAllowedError, sessionNotFound } from "./refusals.js";
import { queryParam } from "./request-info.js";
import { SessionBase } from "./session-base.js";
import { trackSession } from "./session-info.js";
import { SseWriter } from "./sse-writer.js";

/** One HTTP+SSE (2024-11-05) session: the open GET stream and its upstream. */
export class SseSession extends SessionBase {
  readonly #writer: SseWriter;
  /** Requests forwarded and not answered yet: failed on the stream when the upstream ends first. */
  readonly #pending = new Map<string, RequestId>();

  constructor(
    id: string,
    upstream: Transport,
    server: McpServerLike | undefined,
    writer: SseWriter,
    logger: Logger,
  ) {
    super(id, upstream, server, logger);
    this.#writer = writer;
  }

  /** The open stream keeps the session alive; it ends with the stream. */
  get busy(): boolean {
    return !this.#writer.closed;
  }

  /**
   * Zero: the server's close() has never held for HTTP+SSE requests (their answers ride the
   * stream it ends, and #shutdown answers what is left with an error).
   */
  get pendingCount(): number {
    return 0;
  }

  async start(endpoint: string): Promise<void> {
    this.upstream.onmessage = (message) => {
      this.lastActivity = Date.now();
      const m = message as { id?: RequestId; method?: unknown };
      if (m.id !== undefined && m.method === undefined) this.#pending.delete(idKey(m.id));
      this.#writer.writeMessage(message);
    };
    this.upstream.onclose = () => void this.close("upstream closed");
    this.upstream.onerror = (error) =>
      this.logger.debug("upstream error", { session: this.id, error });
    this.#writer.onClose(() => void this.close("client closed the stream"));
    await this.upstream.start();
    this.#writer.writeEvent("endpoint", endpoint);
  }

  forward(
    body: ReturnType<typeof parseJsonRpc>,
    req: IncomingMessage,
    authInfo: AuthInfo | undefined,
  ): void {
    this.lastActivity = Date.now();
    const options: UpstreamSendOptions = { authInfo, requestInfo: { headers: req.headers } };
    for (const message of body.messages) {
      const m = message as { id?: RequestId; method?: unknown };
      if (m.id !== undefined && typeof m.method === "string") this.#pending.set(idKey(m.id), m.id);
      this.upstream.send(message, options).catch((error: unknown) => {
        this.logger.warn("send to upstream failed", { session: this.id, error });
      });
    }
  }

  // Ending the writer re-enters close(), which returns the shutdown already under way.
  protected async shutdown(): Promise<void> {
    // As on Streamable HTTP: what the upstream will never answer is answered with an error.
    for (const id of this.#pending.values()) {
      this.#writer.writeMessage(
        jsonRpcError(
          id,
          JsonRpcErrorCodes.CONNECTION_CLOSED,
          "Upstream closed: the session has ended",
        ) as JSONRPCMessage,
      );
    }
    this.#pending.clear();
    this.notifyEnded();
    this.#writer.end();
    await this.closeUpstream();
  }
}

export async function handleSseStream(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  authInfo: AuthInfo | undefined,
): Promise<void> {
  if (req.method !== "GET") throw new MethodNotAllowedError("GET");
  if (refusesNewSessions(ctx)) {
    // A draining replica sends new sessions to one that is not.
    if (await ctx.cluster?.handOff(req, res, { maxBodySize: ctx.maxBodySize })) return;
    throw new McpProxyError(ErrorCodes.SHUTTING_DOWN, "Service Unavailable: shutting down");
  }
  const release = ctx.sessions.reserve();
  try {
    const id = ctx.cluster?.newSessionId() ?? randomUUID();
    const upstream = await ctx.upstreams.open(req, id);
    const writer = new SseWriter(res, {}, ctx.heartbeatMs);
    const session = new SseSession(id, upstream.transport, upstream.server, writer, ctx.logger);
    // Its message POSTs must come from whoever opened the stream.
    bindSession(session, authInfo);
    const tracked = trackSession(ctx, session, "sse", upstream);
    // Registered before the endpoint event goes out, so the client's first POST finds it;
    // a server that began closing while the upstream was created refuses it here.
    try {
      tracked.register();
    } catch (error) {
      await session.close("server closing");
      throw error;
    }
    try {
      await session.start(`${ctx.messagesEndpoint}?sessionId=${encodeURIComponent(id)}`);
    } catch (error) {
      ctx.logger.warn("upstream failed to start", { session: id, error });
      await session.close("upstream failed to start");
      return;
    }
    try {
      await tracked.connect();
    } catch (error) {
      await session.close("refused");
      throw error;
    }
  } finally {
    release();
  }
}

export async function handleSseMessage(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  authInfo: AuthInfo | undefined,
): Promise<void> {
  if (req.method !== "POST") throw new MethodNotAllowedError("POST");
  const id = queryParam(req, "sessionId");
  if (!id)
    throw new McpProxyError(
      ErrorCodes.SESSION_REQUIRED,
      "Bad Request: sessionId query parameter is required",
    );
  const session = ctx.sessions.get(id);
  // Another principal's session is answered like an unknown one, as on Streamable HTTP.
  if (!(session instanceof SseSession) || session.closed || !mayUseSession(session, authInfo)) {
    throw sessionNotFound();
  }
  assertJsonContentType(req);
  const raw = await readBody(req, ctx.maxBodySize);
  const body = parseJsonRpc(raw);
  if (ctx.options.metrics) noteBody(req, raw.length, body.messages);
  session.forward(body, req, authInfo);
  res.writeHead(202, { "Content-Type": "text/plain" }).end("Accepted");
}
