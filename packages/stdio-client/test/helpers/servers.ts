// Remote MCP servers for the tests, built from the SDK's own server transports
// on node:http(s): Streamable HTTP (with a resumability event store) and the
// 2024-11-05 HTTP+SSE transport. Every request is recorded for assertions.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { type BridgeHandle, bridge, ChildProcessTransport } from "@mcp-proxy/core";
import { echoServerCommand } from "@mcp-proxy/test-utils";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { TestEventStore } from "./event-store.js";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
}

export interface TestServerOptions {
  /** Answer 401 unless `Authorization: Bearer <token>` is sent. */
  requireBearer?: string;
  /** Serve HTTPS with this key and certificate (PEM); with `ca`, require client certificates it signed. */
  tls?: { key: string; cert: string; ca?: string };
  /** Build an in-process server per session instead of bridging the echo child. */
  createServer?: () => McpServer;
}

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  /** Streamable HTTP transports by session id (stream servers only). */
  sessions: Map<string, StreamableHTTPServerTransport>;
  /** In-process servers created by `createServer`, in order. */
  servers: McpServer[];
  /** Session ids the server saw a DELETE for. */
  deleted: string[];
  /** Closes every open event stream and session from the server side (SSE servers). */
  dropSessions(): Promise<void>;
  close(): Promise<void>;
}

const live = new Set<TestServer>();

function listen(
  options: TestServerOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Server {
  const wrapped = (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  };
  if (!options.tls) return createServer(wrapped);
  const { ca, ...tls } = options.tls;
  return createHttpsServer(
    ca ? { ...tls, ca, requestCert: true, rejectUnauthorized: true } : tls,
    wrapped,
  );
}

async function started(server: Server, path: string, tls: boolean): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return `${tls ? "https" : "http"}://127.0.0.1:${port}${path}`;
}

function authorized(
  options: TestServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (!options.requireBearer || req.headers.authorization === `Bearer ${options.requireBearer}`)
    return true;
  res.writeHead(401, { "www-authenticate": "Bearer", "content-type": "application/json" });
  res.end(JSON.stringify({ error: "invalid_token" }));
  return false;
}

/** A Streamable HTTP server at /mcp, one session per initialize, resumable. */
export async function startStreamServer(options: TestServerOptions = {}): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const servers: McpServer[] = [];
  const deleted: string[] = [];
  const bridges: BridgeHandle[] = [];

  const server = listen(options, async (req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers } });
    if (!authorized(options, req, res)) return;
    if (!req.url?.startsWith("/mcp")) {
      res.writeHead(404).end("not found");
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const transport = sessions.get(sessionId);
      if (!transport) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            jsonrpc: "2.0",
            id: null,
            error: { code: -32001, message: "Session not found" },
          }),
        );
        return;
      }
      if (req.method === "DELETE") deleted.push(sessionId);
      await transport.handleRequest(req, res);
      return;
    }
    if (req.method !== "POST") {
      res.writeHead(400).end("session required");
      return;
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      eventStore: new TestEventStore(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    if (options.createServer) {
      const mcp = options.createServer();
      servers.push(mcp);
      await mcp.connect(transport);
    } else {
      const child = new ChildProcessTransport(echoServerCommand());
      bridges.push(await bridge(transport, child));
    }
    await transport.handleRequest(req, res);
  });
  const url = await started(server, "/mcp", Boolean(options.tls));
  const handle: TestServer = {
    url,
    requests,
    sessions,
    servers,
    deleted,
    dropSessions: async () => {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      sessions.clear();
    },
    close: async () => {
      live.delete(handle);
      await Promise.allSettled([
        ...bridges.map((b) => b.close()),
        ...servers.map((s) => s.close()),
      ]);
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  live.add(handle);
  return handle;
}

/** A 2024-11-05 HTTP+SSE-only server: GET /sse, POST /messages; POST /sse is 405. */
export async function startSseServer(options: TestServerOptions = {}): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const transports = new Map<string, SSEServerTransport>();
  const bridges: BridgeHandle[] = [];
  const server = listen(options, async (req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers } });
    if (!authorized(options, req, res)) return;
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/sse" && req.method === "GET") {
      const transport = new SSEServerTransport("/messages", res);
      transports.set(transport.sessionId, transport);
      const child = new ChildProcessTransport(echoServerCommand());
      bridges.push(await bridge(transport, child));
      return;
    }
    if (url.pathname === "/messages" && req.method === "POST") {
      const transport = transports.get(url.searchParams.get("sessionId") ?? "");
      if (!transport) {
        res.writeHead(404).end("unknown session");
        return;
      }
      await transport.handlePostMessage(req, res);
      return;
    }
    // What an SSE-only server (e.g. an Express app with only GET /sse) answers.
    res.writeHead(url.pathname === "/sse" ? 405 : 404, { "content-type": "text/plain" });
    res.end("Method Not Allowed");
  });
  const url = await started(server, "/sse", Boolean(options.tls));
  const handle: TestServer = {
    url,
    requests,
    sessions: new Map(),
    servers: [],
    deleted: [],
    dropSessions: async () => {
      await Promise.allSettled([...transports.values()].map((t) => t.close()));
      transports.clear();
    },
    close: async () => {
      live.delete(handle);
      await Promise.allSettled(bridges.map((b) => b.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  live.add(handle);
  return handle;
}

/** Closes every server still open (afterEach). */
export async function closeServers(): Promise<void> {
  await Promise.allSettled([...live].map((s) => s.close()));
}
