// The README's examples, type-checked with the package so they cannot rot.
// In your own project, import from "@mcp-proxy/stdio-client".
import { Client as ClientV2 } from "@modelcontextprotocol/client";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  FileOAuthProvider,
  resolveVersionNegotiation,
  ServerType,
  StreamableHttpClientTransport,
  startStdioServer,
} from "../src/index.js";

/** Serve this process's stdin/stdout, forwarding to a remote server; exit when stdin ends. */
export async function stdioFront(): Promise<void> {
  const handle = await startStdioServer({
    url: "https://mcp.example.com/mcp",
    transport: "auto", // Streamable HTTP, falling back to HTTP+SSE
    bearer: process.env.MCP_TOKEN,
    headers: { "X-Team": "blue" },
    sslCa: "/etc/ssl/corp-root.pem", // a PEM file path, for a private CA
  });
  await handle.closed; // stdin ended: the remote session was DELETEd
}

/** Refresh a short-lived token before every request. */
export async function withTokenRefresh(getToken: () => Promise<string>): Promise<void> {
  await startStdioServer({
    url: "https://mcp.example.com/mcp",
    getHeaders: async () => ({ Authorization: `Bearer ${await getToken()}` }),
  });
}

/** A server that requires OAuth: log in through the browser, tokens kept per server. */
export async function withOAuth(): Promise<void> {
  const url = "https://mcp.example.com/mcp";
  await startStdioServer({
    url,
    // Credentials in ~/.config/mcp-proxy/oauth/<server>/ (files 0600); browser via $BROWSER.
    authProvider: new FileOAuthProvider(url, {
      clientId: process.env.OAUTH_CLIENT_ID, // else the client registers itself
      callbackPort: 33418, // for a redirect URI registered as http://127.0.0.1:33418/callback
      loginTimeout: 120_000,
    }),
  });
}

/** Any SDK OAuthClientProvider works; one that cannot log in by itself fails that request clearly. */
export async function withYourOwnProvider(provider: OAuthClientProvider): Promise<void> {
  await startStdioServer({ url: "https://mcp.example.com/mcp", authProvider: provider });
}

/** The transports also work on their own, e.g. under the SDK's Client. */
export async function listRemoteTools(): Promise<string[]> {
  const client = new Client({ name: "my-app", version: "1.0.0" });
  await client.connect(
    new StreamableHttpClientTransport("https://mcp.example.com/mcp", { bearer: "abc" }),
  );
  const { tools } = await client.listTools();
  await client.close(); // ends the session with DELETE
  return tools.map((tool) => tool.name);
}

/** Pin the protocol era: "auto" (default) probes for MCP 2026-07-28 and falls back to 2025. */
export async function pinnedEra(): Promise<void> {
  await startStdioServer({
    url: "https://mcp.example.com/mcp",
    protocol: "legacy", // never send a 2026-07-28 request; "modern" requires one
  });
}

/** The reference package's call, unchanged: `mcp-proxy`'s startStdioServer options. */
export async function fromReference(): Promise<void> {
  await startStdioServer({
    serverType: ServerType.SSE,
    url: "http://127.0.0.1:8080/sse",
  });
}

/** The reference's transportOptions: request headers and reconnection are honoured. */
export async function fromReferenceWithHeaders(token: string): Promise<void> {
  await startStdioServer({
    serverType: ServerType.HTTPStream,
    url: "https://mcp.example.com/mcp",
    upstreamProtocol: "legacy", // the reference's default; ours is "auto"
    transportOptions: {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
      reconnectionOptions: {
        initialReconnectionDelay: 1_000,
        maxReconnectionDelay: 30_000,
        reconnectionDelayGrowFactor: 1.5,
        maxRetries: 2,
      },
    },
  });
}

/** Bring your own SDK Client: the handle then carries it, and the Server made for it. */
export async function bringYourOwnClient(): Promise<void> {
  const handle = await startStdioServer({
    serverType: ServerType.HTTPStream,
    url: "https://mcp.example.com/mcp",
    initStreamClient: async () =>
      new ClientV2(
        { name: "my-proxy", version: "1.0.0" },
        { versionNegotiation: resolveVersionNegotiation("auto") },
      ),
  });
  handle.client?.getServerVersion(); // the remote's name and version
  await handle.closed;
}
