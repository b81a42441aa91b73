// The Streamable HTTP endpoint. POST runs: body read+parse once -> classify the
// era -> era handler (2025-era sessions or stateless mode, or the 2026-07-28
// gateway). GET opens or resumes the standalone stream, DELETE ends the
// session (both 2025-era only).
// Status table (same for every method): see README "Session status codes".
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ErrorCodes,
  isModernProtocolVersion,
  McpProxyError,
  type ProtocolEra,
} from "@mcp-proxy/core";
import { metaProtocolVersion } from "@mcp-proxy/core/internal";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { assertJsonContentType, type ParsedBody, parseJsonRpc, readBody } from "./body.js";
import type { ServerContext } from "./context.js";
import { refusesNewSessions } from "./endpoint.js";
import { noteBody } from "./metrics.js";
import { bindSession, mayUseSession } from "./principal.js";
import {
  firstRequestId,
  MethodNotAllowedError,
  sessionNotFound,
  withRequestId,
} from "./refusals.js";
import {
  type AcceptInfo,
  acceptOf,
  checkProtocolVersion,
  header,
  notAcceptable,
} from "./request-info.js";
import { trackSession } from "./session-info.js";
import { StreamableSession } from "./streamable-session.js";

export const SESSION_HEADER = "mcp-session-id";

/**
 * A single message with a `_meta` protocol version is 2026-07-28 (whatever its
 * method: a modern `initialize` must get -32601, and a stale Mcp-Session-Id is
 * ignored), as is one sent with `MCP-Protocol-Version: 2026-07-28` and no
 * session (so a modern request missing its `_meta` gets -32602, not a 2025
 * error). Everything else is 2025-era. Reads two properties and two headers:
 * no re-parse, no copy.
 */
export function classifyPost(req: IncomingMessage, body: ParsedBody): ProtocolEra {
  if (body.batch) return "legacy";
  if (metaProtocolVersion(body.messages[0]) !== undefined) return "modern";
  if (
    isModernProtocolVersion(header(req, "mcp-protocol-version")) &&
    header(req, SESSION_HEADER) === undefined
  ) {
    return "modern";
  }
  return "legacy";
}

/** A GET or DELETE from a 2026-07-28 client (no session, modern version header). */
const isModernNonPost = (req: IncomingMessage): boolean =>
  header(req, SESSION_HEADER) === undefined &&
  isModernProtocolVersion(header(req, "mcp-protocol-version"));

const modernNoStream = () =>
  new MethodNotAllowedError(
    "POST",
    "Method Not Allowed: 2026-07-28 has no GET stream or session to delete; use subscriptions/listen",
  );

/** A 2026-07-28 retry's requestState, which names the replica holding its round in a cluster. */
function stateOf(message: JSONRPCMessage): string | undefined {
  const state = (message as { params?: { requestState?: unknown } }).params?.requestState;
  return typeof state === "string" ? state : undefined;
}

const isInitialize = (body: ParsedBody): boolean =>
  body.messages.some((m) => (m as { method?: string }).method === "initialize");

const sessionRequired = () =>
  new McpProxyError(ErrorCodes.SESSION_REQUIRED, "Bad Request: Mcp-Session-Id header is required");

/**
 * The live session a request names. Another principal's session is answered exactly like an
 * unknown one (404): nothing of it is served, its existence is not confirmed, and a client whose
 * identity changed starts a session of its own, as it does after any 404.
 */
function lookupSession(
  ctx: ServerContext,
  req: IncomingMessage,
  authInfo: AuthInfo | undefined,
): StreamableSession {
  const id = header(req, SESSION_HEADER);
  if (id === undefined || id === "") throw sessionRequired();
  const session = ctx.sessions.get(id);
  if (
    !(session instanceof StreamableSession) ||
    session.closed ||
    !mayUseSession(session, authInfo)
  )
    throw sessionNotFound();
  return session;
}

export async function handleStreamable(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  authInfo: AuthInfo | undefined,
): Promise<void> {
  const release = holdSession(ctx, req, authInfo);
  try {
    switch (req.method) {
      case "POST":
        return await handlePost(ctx, req, res, authInfo);
      case "GET":
        return await handleGet(ctx, req, res, authInfo);
      case "DELETE":
        return await handleDelete(ctx, req, res, authInfo);
      default:
        throw new MethodNotAllowedError(ctx.options.stateless ? "POST" : "GET, POST, DELETE");
    }
  } finally {
    release();
  }
}

/**
 * The session a request names is busy from its headers on, before its body is read: an upload
 * slower than the idle timeout must not come back to a 404. What keeps it busy afterwards (a
 * pending request, an open stream) takes over when this is released.
 */
function holdSession(
  ctx: ServerContext,
  req: IncomingMessage,
  authInfo: AuthInfo | undefined,
): () => void {
  const id = ctx.stateless ? undefined : header(req, SESSION_HEADER);
  const session = id ? ctx.sessions.get(id) : undefined;
  return session instanceof StreamableSession && !session.closed && mayUseSession(session, authInfo)
    ? session.hold()
    : noop;
}

const noop = () => undefined;

async function handlePost(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  authInfo: AuthInfo | undefined,
): Promise<void> {
  const accept = acceptOf(req);
  if (!accept.json && !accept.sse) throw notAcceptable("application/json or text/event-stream");
  assertJsonContentType(req);
  const raw = await readBody(req, ctx.maxBodySize);
  const body = parseJsonRpc(raw);
  if (ctx.options.metrics) noteBody(req, raw.length, body.messages);
  try {
    await dispatchPost(ctx, req, res, authInfo, { raw, body, accept });
  } catch (error) {
    throw withRequestId(error, firstRequestId(body.messages) ?? null);
  }
}

/** A POST's body as read (`raw`, for a forward) and parsed, and what the client accepts. */
interface PostBody {
  raw: Buffer;
  body: ParsedBody;
  accept: AcceptInfo;
}

async function dispatchPost(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  authInfo: AuthInfo | undefined,
  { raw, body, accept }: PostBody,
): Promise<void> {
  if (ctx.modern && classifyPost(req, body) === "modern") {
    const message = body.messages[0] as JSONRPCMessage;
    // A retry whose round is parked on another replica is served there; one whose replica is
    // gone is served here, where its requestState is unknown (the client starts over).
    const state = ctx.cluster ? stateOf(message) : undefined;
    if (state !== undefined) {
      const forward = { body: raw, maxBodySize: ctx.maxBodySize };
      const route = await ctx.cluster?.route(req, res, state, forward);
      if (route?.kind === "forwarded") return;
    }
    await ctx.modern.handlePost(req, res, message, accept, authInfo);
    return;
  }

  // enableJsonResponse: a client that takes JSON gets JSON, never a stream.
  const sseAllowed = accept.sse && !(ctx.options.enableJsonResponse && accept.json);
  const post = { req, res, authInfo, sseAllowed, jsonAllowed: accept.json };
  if (ctx.stateless) {
    // Stateless: session headers are ignored.
    checkProtocolVersion(req, ctx.stateless.negotiatedVersion);
    await ctx.stateless.handlePost(body, { ...post, headers: {} });
    return;
  }

  const init = isInitialize(body);
  if (init && body.messages.length > 1) {
    throw new McpProxyError(
      ErrorCodes.INVALID_MESSAGE,
      "Invalid Request: initialize must be sent alone",
    );
  }
  const sessionId = header(req, SESSION_HEADER);
  if (init && (sessionId === undefined || sessionId === "")) {
    checkProtocolVersion(req);
    // A draining replica sends new sessions to one that is not.
    if (
      refusesNewSessions(ctx) &&
      (await ctx.cluster?.handOff(req, res, { body: raw, maxBodySize: ctx.maxBodySize }))
    )
      return;
    const session = await createSession(ctx, req, authInfo);
    session.handlePost(body, { ...post, headers: { "Mcp-Session-Id": session.id } });
    return;
  }
  const session = lookupSession(ctx, req, authInfo);
  checkProtocolVersion(req, session.protocolVersion);
  session.handlePost(body, { ...post, headers: { "Mcp-Session-Id": session.id } });
}

async function createSession(
  ctx: ServerContext,
  req: IncomingMessage,
  authInfo: AuthInfo | undefined,
): Promise<StreamableSession> {
  if (refusesNewSessions(ctx))
    throw new McpProxyError(ErrorCodes.SHUTTING_DOWN, "Service Unavailable: shutting down");
  const release = ctx.sessions.reserve();
  try {
    const id = ctx.cluster?.newSessionId() ?? randomUUID();
    const upstream = await ctx.upstreams.open(req, id).catch((cause: unknown) => {
      throw new McpProxyError(
        ErrorCodes.SPAWN_FAILED,
        "Bad Gateway: the upstream could not be created",
        { cause },
      );
    });
    const session = new StreamableSession(id, upstream.transport, upstream.server, {
      eventStore: ctx.eventStore,
      heartbeatMs: ctx.heartbeatMs,
      logger: ctx.logger,
    });
    // The session belongs to whoever initialized it (see lookupSession).
    bindSession(session, authInfo);
    const tracked = trackSession(ctx, session, "streamable-http", upstream);
    try {
      await session.start();
    } catch (cause) {
      await session.close("upstream failed to start");
      throw new McpProxyError(
        ErrorCodes.SPAWN_FAILED,
        "Bad Gateway: the upstream failed to start",
        { cause },
      );
    }
    // The server may have begun closing while the upstream started; a refusing
    // onConnect ends the session too. Either way nothing is left behind.
    try {
      tracked.register();
      await tracked.connect();
    } catch (error) {
      await session.close("refused");
      throw error;
    }
    return session;
  } finally {
    release();
  }
}

async function handleGet(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  authInfo: AuthInfo | undefined,
): Promise<void> {
  if (ctx.stateless)
    throw new MethodNotAllowedError("POST", "Method Not Allowed: stateless server");
  if (ctx.modern && isModernNonPost(req)) throw modernNoStream();
  if (!acceptOf(req).sse) throw notAcceptable("text/event-stream");
  const session = lookupSession(ctx, req, authInfo);
  checkProtocolVersion(req, session.protocolVersion);
  await session.openGet(res, { "Mcp-Session-Id": session.id }, header(req, "last-event-id"));
}

async function handleDelete(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  authInfo: AuthInfo | undefined,
): Promise<void> {
  if (ctx.stateless)
    throw new MethodNotAllowedError("POST", "Method Not Allowed: stateless server");
  if (ctx.modern && isModernNonPost(req)) throw modernNoStream();
  const session = lookupSession(ctx, req, authInfo);
  ctx.sessions.remove(session.id);
  await session.close("DELETE");
  res.writeHead(200).end();
}
