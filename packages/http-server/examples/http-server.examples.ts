// README snippets, type-checked with the package (see tsconfig "include").
// Each function is one snippet; the README copies the region between the markers.
import http from "node:http";
import { ChildProcessTransport } from "@mcp-proxy/core";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import Provider, { errors } from "oidc-provider";
import { InMemoryEventStore, startHTTPServer } from "../src/index.js";

export async function createServerExample() {
  // #region createServer
  const handle = await startHTTPServer({
    // One SDK Server per session; `request` is the initialize POST (or the SSE GET).
    createServer: async (_request) => {
      const mcp = new McpServer({ name: "my-server", version: "1.0.0" });
      mcp.registerTool("hello", { description: "Says hello" }, async (extra) => ({
        content: [{ type: "text", text: `hello ${extra.authInfo?.clientId ?? "stranger"}` }],
      }));
      return mcp.server;
    },
    port: 8080,
  });
  console.error(`MCP at ${handle.url}/mcp (Streamable HTTP) and ${handle.url}/sse (legacy SSE)`);
  // #endregion createServer
  return handle;
}

export async function createUpstreamExample() {
  // #region createUpstream
  // Bridge raw JSON-RPC to a stdio server: one child process per session, no re-dispatch.
  const handle = await startHTTPServer({
    createUpstream: () =>
      new ChildProcessTransport({ command: "npx", args: ["-y", "some-mcp-server"] }),
    port: 8080,
  });
  // #endregion createUpstream
  return handle;
}

export async function securityExample() {
  // #region security
  const handle = await startHTTPServer({
    createUpstream: () => new ChildProcessTransport({ command: "my-mcp-server" }),
    host: "0.0.0.0", // serve remote clients; the default binds 127.0.0.1 only
    port: 8443,
    sslCert: "/etc/mcp/cert.pem", // a path, or PEM text
    sslKey: "/etc/mcp/key.pem",
    apiKey: process.env.MCP_API_KEY, // X-API-Key or Authorization: Bearer
    // Or your own check; what it returns reaches handlers as `authInfo`.
    authenticate: async (request) => {
      const token = request.headers.authorization?.replace(/^Bearer /i, "");
      if (token !== "let-me-in") return { authenticated: false, error: "invalid token" };
      return { token, clientId: "alice", scopes: ["mcp"] };
    },
    allowedOrigins: ["https://app.example.com"],
    cors: { origin: ["https://app.example.com"], credentials: true, maxAge: 600 },
  });
  // #endregion security
  return handle;
}

export async function statelessExample() {
  // #region stateless
  const handle = await startHTTPServer({
    createUpstream: () => new ChildProcessTransport({ command: "my-mcp-server" }),
    stateless: true, // one shared, initialised upstream; no Mcp-Session-Id
    port: 8080,
  });
  // #endregion stateless
  return handle;
}

export async function eventStoreExample() {
  // #region eventStore
  const handle = await startHTTPServer({
    createUpstream: () => new ChildProcessTransport({ command: "my-mcp-server" }),
    // Bounded: the oldest events go first. `eventStore: false` turns resumability off.
    eventStore: new InMemoryEventStore({ maxEventsPerStream: 500, maxEvents: 50_000 }),
    sessionTimeout: 10 * 60_000,
    maxSessions: 200,
    health: () => ({ ok: true }),
  });
  // #endregion eventStore
  return handle;
}

export async function protocolErasExample() {
  // #region protocolEras
  // One /mcp for every era: 2025-era sessions get a child each, 2026-07-28
  // clients share one child that the proxy initialised and translates for.
  const handle = await startHTTPServer({
    createUpstream: () => new ChildProcessTransport({ command: "my-mcp-server" }),
    modern: true, // default; false serves 2024-11-05 and 2025-era clients only
    upstreamProtocol: "auto", // probe the shared child with server/discover, else initialize
    health: () => ({ ok: true }), // /health also reports the modern gateway once used
    port: 8080,
  });
  // #endregion protocolEras
  return handle;
}

export async function oauthExample() {
  // #region oauth
  // A stdio server for hosted clients: tokens from your authorization server, bound to this URL.
  const handle = await startHTTPServer({
    createUpstream: () => new ChildProcessTransport({ command: "my-mcp-server" }),
    host: "0.0.0.0",
    port: 8080,
    oauth: {
      issuer: "https://auth.example.com", // its RFC 8414 / OpenID metadata names the JWKS
      audience: "https://mcp.example.com/mcp", // the URL clients use (TLS ends in front of us)
      scopes: ["mcp"], // required of every token; 403 insufficient_scope otherwise
      resourceMetadata: { resource_name: "Example tools" },
    },
  });
  // #endregion oauth
  return handle;
}

export function authorizationServerExample() {
  // #region authorizationServer
  // oidc-provider as the authorization server at https://auth.example.com: JWT access tokens
  // bound to the proxy's resource URLs (RFC 8707), authorization code + PKCE for hosted clients,
  // dynamic client registration (RFC 7591) for clients that register themselves.
  const resources = ["https://mcp.example.com/mcp", "https://mcp.example.com/sse"];
  const provider = new Provider("https://auth.example.com", {
    jwks: {
      keys: [
        /* your ES256 private JWK(s); publish a new one before signing with it */
      ],
    },
    scopes: ["openid", "offline_access", "mcp"],
    pkce: { required: () => true },
    features: {
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resources[0],
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (!resources.includes(resource)) throw new errors.InvalidTarget();
          return {
            scope: "mcp",
            audience: resource,
            accessTokenTTL: 3600,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "ES256" } },
          };
        },
      },
    },
    // findAccount, interactions (the login page) and an adapter (storage) are yours to add.
  });
  http.createServer(provider.callback()).listen(3000); // behind your TLS terminator
  // #endregion authorizationServer
}
