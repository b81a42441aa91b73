// startHTTPServer: the node:http(s) server and the request pipeline.
// route -> security (Host/Origin, CORS, auth) -> endpoint handler (which reads
// and parses the body once, classifies it and hands it to its era handler).
// The listener never throws: every path ends in a response or a teardown.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { ErrorCodes, McpProxyError, silentLogger } from "@mcp-proxy/core";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { createAggregateUpstream } from "./aggregate.js";
import { createAuthenticator } from "./auth.js";
import { requestIdInBody } from "./body.js";
import { ClusterNode } from "./cluster.js";
import { forwardedToOwner } from "./cluster-route.js";
import type { ServerContext } from "./context.js";
import { answerPreflight, applyCors, resolveCors } from "./cors.js";
import {
  closeEndpoint,
  createEndpointContext,
  type EndpointKind,
  endpointBusy,
  waitWhile,
} from "./endpoint.js";
import { checkEndpointPaths, reservedPaths } from "./endpoint-paths.js";
import { DEFAULT_METRICS_PATH, noteRefusal, observe } from "./metrics.js";
import type { ModernEndpoint } from "./modern-endpoint.js";
import { checkServerName, NamedServers, SERVERS_PATH } from "./named-servers.js";
import { createNotifier } from "./notifier.js";
import { ResourceServer } from "./oauth.js";
import { isResourceServerOptions } from "./oauth-options.js";
import {
  DEFAULT_AGGREGATE_SEPARATOR,
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HOST,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MESSAGES_ENDPOINT,
  DEFAULT_PORT,
  DEFAULT_SSE_ENDPOINT,
  DEFAULT_STREAM_ENDPOINT,
  type HealthStatus,
  type HTTPServerHandle,
  type McpServerLike,
  type StartHTTPServerOptions,
} from "./options.js";
import { createOriginHostPolicy } from "./origin-host.js";
import { MethodNotAllowedError, withRequestId } from "./refusals.js";
import { pathOf } from "./request-info.js";
import { sendError, sendJson } from "./responses.js";
import { handleSseMessage, handleSseStream } from "./sse-session.js";
import { handleStreamable } from "./streamable-handler.js";
import { loadPem, tlsError } from "./tls.js";

export async function startHTTPServer<S extends McpServerLike = McpServerLike>(
  typedOptions: StartHTTPServerOptions<S>,
): Promise<HTTPServerHandle> {
  // Internally every server is only connected and closed: its SDK line does not matter.
  const options = typedOptions as unknown as StartHTTPServerOptions;
  const namedOptions = options.servers ?? {};
  const hasNamed = options.servers !== undefined;
  const hasDefault = options.createServer !== undefined || options.createUpstream !== undefined;
  if (options.createServer && options.createUpstream) {
    throw new TypeError("startHTTPServer: pass exactly one of createServer or createUpstream");
  }
  if (!hasDefault && !hasNamed) {
    throw new TypeError(
      "startHTTPServer: pass exactly one of createServer or createUpstream (or servers)",
    );
  }
  for (const name of Object.keys(namedOptions)) checkServerName(name);
  const logger = options.logger ?? silentLogger;
  const heartbeatMs = options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const graceMs = options.closeGracePeriod ?? DEFAULT_CLOSE_GRACE_MS;
  const ca = loadPem(options.sslCa, "sslCa");
  const cert = loadPem(options.sslCert, "sslCert");
  const key = loadPem(options.sslKey, "sslKey");
  const tls = cert !== undefined && key !== undefined;
  const cluster = options.cluster ? new ClusterNode(options.cluster, logger, ca) : undefined;
  const named = new NamedServers(options, logger, heartbeatMs, graceMs, cluster);
  for (const [name, server] of Object.entries(namedOptions)) void named.addNow(name, server);
  // Without a default upstream the main endpoints serve the aggregate of the named servers.
  const aggregate = !hasDefault && options.aggregate !== false;
  const mainOptions: StartHTTPServerOptions = aggregate
    ? {
        ...options,
        createUpstream: createAggregateUpstream(named, {
          separator:
            (typeof options.aggregate === "object" ? options.aggregate.separator : undefined) ??
            DEFAULT_AGGREGATE_SEPARATOR,
          logger,
        }),
      }
    : options;
  const host = options.host ?? DEFAULT_HOST;
  const served = hasDefault || aggregate;
  const streamEndpoint = !served
    ? null
    : options.streamEndpoint === undefined
      ? DEFAULT_STREAM_ENDPOINT
      : options.streamEndpoint;
  const sseEndpoint = !served
    ? null
    : options.sseEndpoint === undefined
      ? DEFAULT_SSE_ENDPOINT
      : options.sseEndpoint;
  const messagesEndpoint = options.messagesEndpoint ?? DEFAULT_MESSAGES_ENDPOINT;
  checkEndpointPaths(
    {
      streamEndpoint,
      sseEndpoint,
      messagesEndpoint: sseEndpoint === null ? null : messagesEndpoint,
    },
    [
      ...reservedPaths(options.health !== undefined || hasNamed),
      ...(options.metrics ? [options.metrics.path ?? DEFAULT_METRICS_PATH] : []),
      ...(hasNamed ? [SERVERS_PATH] : []),
    ],
  );
  if (hasNamed) {
    for (const path of [streamEndpoint, sseEndpoint, messagesEndpoint]) {
      if (path?.startsWith(`${SERVERS_PATH}/`))
        throw new TypeError(`startHTTPServer: "${path}" collides with the named servers' paths`);
    }
  }
  const ctx: ServerContext = createEndpointContext(
    mainOptions,
    { stream: streamEndpoint, sse: sseEndpoint, messages: messagesEndpoint },
    logger,
    heartbeatMs,
    cluster,
  );
  const modern = ctx.modern as ModernEndpoint | undefined;
  const cors = resolveCors(options.cors);
  const metrics = options.metrics;
  const metricsPath = metrics?.path ?? DEFAULT_METRICS_PATH;
  const originHost = createOriginHostPolicy(options, host);
  /** The server's URL once it listens (the default OAuth audience is made from it). */
  let baseUrl = "";
  const resourceServer = isResourceServerOptions(options.oauth)
    ? new ResourceServer(
        options,
        options.oauth,
        { stream: streamEndpoint, sse: sseEndpoint, messages: messagesEndpoint },
        { host, baseUrl: () => baseUrl },
        logger,
      )
    : undefined;
  const authenticator = createAuthenticator(options, resourceServer);
  /** Requests onUnhandledRequest is serving whose response has not ended. */
  let unhandledInFlight = 0;

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = pathOf(req);
    // The answer depends on Origin (the DNS-rebinding check, CORS) even when it is a refusal:
    // say so, so that no cache serves one origin's 403 to another.
    if (req.headers.origin !== undefined) res.setHeader("Vary", "Origin");
    // RFC 9728 metadata is public and must be readable by hosted (browser) clients of any origin:
    // no auth, no Origin check (which guards what a page could do or read through a rebound name,
    // and nothing here is private); the Host check stays.
    const metadata = resourceServer?.metadataAt(path);
    if (metadata) {
      originHost.checkHost(req);
      resourceServer?.serveMetadata(req, res, metadata);
      return;
    }
    // Liveness carries no data, so it is answered whatever the Host and Origin: load balancers'
    // checks arrive as they are sent (HAProxy's default is HTTP/1.0 without a Host header).
    if (path === "/ping" && req.method !== "OPTIONS") {
      applyCors(cors, req, res);
      res.writeHead(200, { "Content-Type": "text/plain" }).end("pong");
      return;
    }
    // So is readiness; its details only go to those who pass the Host and Origin checks.
    if (path === "/health" && hasHealth && req.method !== "OPTIONS") {
      await serveHealth(req, res);
      return;
    }
    // A peer replica's signed request was checked where the client reached the cluster.
    const fromPeer = cluster?.acceptFromPeer(req) ?? false;
    if (!fromPeer) originHost.check(req);
    applyCors(cors, req, res);
    if (req.method === "OPTIONS") {
      answerPreflight(cors, req, res);
      return;
    }
    if (metrics && path === metricsPath && req.method === "GET") {
      await authenticate(req);
      const { contentType, body } = await metrics.scrape();
      res.writeHead(200, { "Content-Type": contentType }).end(body);
      return;
    }
    if (hasNamed && path === SERVERS_PATH) {
      if (req.method !== "GET") throw new MethodNotAllowedError("GET");
      await authenticate(req);
      sendJson(res, 200, { servers: await named.list() });
      return;
    }
    const match = hasNamed ? named.match(path) : undefined;
    if (match) {
      if (cluster && (await forwardedToOwner(match.ctx, match.kind, req, res))) return;
      const authInfo = await authenticate(req);
      await HANDLERS[match.kind](match.ctx, req, res, authInfo);
      return;
    }
    const kind: EndpointKind | undefined =
      streamEndpoint !== null && path === streamEndpoint
        ? "stream"
        : sseEndpoint !== null && path === sseEndpoint
          ? "sse"
          : sseEndpoint !== null && path === messagesEndpoint
            ? "messages"
            : undefined;
    if (!kind) {
      if (options.onUnhandledRequest) {
        // No session or upstream tracks these: close() counts them itself, so it lets them
        // finish, and refuses new ones (a kept-alive connection can still bring one).
        if (ctx.closing)
          throw new McpProxyError(ErrorCodes.SHUTTING_DOWN, "Service Unavailable: shutting down");
        // Until the response ends, not the callback: a handler may answer after it returns.
        if (!res.closed) {
          unhandledInFlight++;
          res.once("close", () => unhandledInFlight--);
        }
        await options.onUnhandledRequest(req, res);
        return;
      }
      throw new McpProxyError(
        ErrorCodes.NOT_FOUND,
        `Not Found: ${req.method ?? "?"} ${path.slice(0, 200)}`,
      );
    }
    // Another replica's session is served there; the owner authenticates.
    if (cluster && (await forwardedToOwner(ctx, kind, req, res))) return;
    const authInfo = await authenticate(req);
    await HANDLERS[kind](ctx, req, res, authInfo);
  };

  const hasHealth = hasNamed || options.health !== undefined || cluster !== undefined;

  /**
   * /health: 503 once this replica drains or its upstreams fail. Load balancers' checks come
   * without a Host header, so it is answered whatever the Host and Origin, but its detail (server
   * names, failures) only to requests that pass those checks.
   */
  const serveHealth = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const report = await healthReport();
    const draining = cluster !== undefined && (cluster.draining || ctx.closing);
    const ok = report.ok && !draining;
    let trusted = true;
    try {
      originHost.check(req);
      applyCors(cors, req, res);
    } catch {
      trusted = false;
    }
    const body = trusted
      ? { ...report, ok, ...(cluster ? { replica: cluster.id, draining } : {}) }
      : { ok };
    sendJson(res, ok ? 200 : 503, body);
  };

  const healthReport = async (): Promise<HealthStatus & { modern?: unknown }> => {
    if (hasNamed) return namedHealth();
    const status = options.health ? await options.health() : { ok: true };
    // The gateway is reported once it has been used (or is failing): 2025-only traffic sees no change.
    const gateway = ctx.modern;
    const modern =
      gateway && (gateway.upstreamEra !== undefined || !gateway.healthy)
        ? { healthy: gateway.healthy, upstreamEra: gateway.upstreamEra }
        : undefined;
    const ok = status.ok && (modern?.healthy ?? true);
    return modern ? { ...status, ok, modern } : status;
  };

  /**
   * /health with named servers: 200 while at least one of them (or the default upstream) is
   * healthy; `detail.failing` names the others.
   */
  const namedHealth = async (): Promise<HealthStatus> => {
    const servers = await named.list();
    const entries: Record<string, unknown> = {};
    let healthy = 0;
    const failing: string[] = [];
    for (const s of servers) {
      entries[s.name] = {
        status: s.status,
        ...(s.detail !== undefined ? { detail: s.detail } : {}),
      };
      if (s.status === "healthy") healthy++;
      else failing.push(s.name);
    }
    if (hasDefault) {
      const main = options.health ? await options.health() : { ok: true };
      const ok = main.ok && (ctx.modern?.healthy ?? true);
      if (ok) healthy++;
      else failing.push("(default)");
      entries["(default)"] = { status: ok ? "healthy" : "unhealthy", detail: main.detail };
    }
    return { ok: healthy > 0, detail: { servers: entries, failing } };
  };

  /** Auth before any session or upstream is touched; a failed POST still reports its request id. */
  const authenticate = async (req: IncomingMessage): Promise<AuthInfo | undefined> => {
    if (!authenticator) return undefined;
    try {
      return await authenticator(req);
    } catch (error) {
      if (req.method === "POST") {
        throw withRequestId(error, await requestIdInBody(req, ctx.maxBodySize));
      }
      throw error;
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    if (metrics) observe(req, res, metrics);
    route(req, res).catch((error: unknown) => {
      if (metrics && error instanceof McpProxyError) noteRefusal(req, error.code);
      // A client's mistake (bad input, wrong method) is routine; only our own failures are errors.
      if (error instanceof McpProxyError) {
        logger.debug("request rejected", { code: error.code, message: error.message });
      } else logger.error("request failed", { error });
      try {
        sendError(res, error);
      } catch {
        res.destroy();
      }
    });
  };

  let server: http.Server;
  try {
    server = tls ? https.createServer({ cert, key, ca }, listener) : http.createServer(listener);
  } catch (error) {
    throw tlsError(error, {
      sslCert: options.sslCert,
      sslKey: options.sslKey,
      sslCa: options.sslCa,
    });
  }
  server.keepAliveTimeout = options.keepAliveTimeout ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  // requestTimeout (Node default 300 s) only bounds receiving a request, so long-lived SSE
  // responses are unaffected and slow-loris uploads stay bounded; socket idle timeout stays off.
  server.timeout = 0;
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    // Headers over Node's limit (16 KiB by default) get 431 (RFC 6585), anything else 400.
    socket.end(
      error.code === "HPE_HEADER_OVERFLOW"
        ? rawResponse(431, "Request Header Fields Too Large", "Request headers too large\n")
        : rawResponse(400, "Bad Request", "Bad request\n"),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => logger.error("server error", { error }));
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  logger.info("listening", { host, port });
  baseUrl = `${tls ? "https" : "http"}://${urlHost}:${port}`;
  named.baseUrl = baseUrl;
  if (cluster) {
    try {
      await cluster.join(host, port, tls);
    } catch (cause) {
      // Its store connection too: nothing may keep the process alive after the failed start.
      await cluster.leave();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw new McpProxyError(
        ErrorCodes.CLUSTER_UNAVAILABLE,
        `startHTTPServer: could not join the cluster, its registry cannot be reached (${cause instanceof Error ? cause.message : String(cause)})`,
        { cause },
      );
    }
  }
  resourceServer?.warmUp();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closing) return closing;
    ctx.closing = true;
    closing = (async () => {
      // Sessions still being created count too: they finish, or refuse themselves once closed.
      const pending = () => unhandledInFlight > 0 || endpointBusy(ctx) || named.busy();
      // A cluster's replica drains while it still listens: /health answers 503, its sessions
      // are served (peers forward to it), new ones go to other replicas.
      await cluster?.drain();
      const stopListening = () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        return stopped;
      };
      let stopped = cluster ? undefined : stopListening();
      // Let in-flight requests finish for a while, then end everything.
      // Said once, so that an operator (and a test) sees close() holding on for these requests.
      if (pending()) logger.info("closing: letting requests in flight finish", { graceMs });
      await waitWhile(pending, graceMs);
      stopped ??= stopListening();
      // The aggregate's sessions first: they hold upstreams of the named servers.
      await closeEndpoint(ctx, graceMs);
      await named.close();
      server.closeAllConnections();
      await stopped;
      // Gone from the registry: the others answer this replica's sessions with 404.
      await cluster?.leave();
    })();
    return closing;
  };

  return {
    close,
    notify: createNotifier(modern),
    url: `${tls ? "https" : "http"}://${urlHost}:${port}`,
    port,
    host,
    server,
    servers: named,
    cluster: cluster ? { id: cluster.id, url: cluster.url as string } : undefined,
  };
}

const HANDLERS = {
  stream: handleStreamable,
  sse: handleSseStream,
  messages: handleSseMessage,
} as const;

/** A whole HTTP/1.1 response for a socket the HTTP parser gave up on. */
function rawResponse(status: number, reason: string, body: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
