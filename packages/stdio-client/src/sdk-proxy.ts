// The SDK-object path of startStdioServer, taken when the caller brings an SDK
// Server or Client (the reference's initStdioServer / initStreamClient): a
// Client connected to the remote, a Server on stdio, and core's proxyServer
// relaying between them. Unlike the bridge path, the remote connection is made
// before this resolves, so its failures reject the start (as in the reference).
import { readFileSync } from "node:fs";
import { type Logger, type ProxyServerOptions, proxyServer } from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { RemoteTransportKind } from "./auto-transport.js";
import { headersRecord } from "./reference-options.js";
import { StdioStreamTransport } from "./stdio-transport.js";

/**
 * What the SDK path needs of a Server: `Server` of `@modelcontextprotocol/sdk`
 * 1.x or of `@modelcontextprotocol/server` 2.x (or `McpServer.server`).
 */
export interface SdkServerLike {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
  onclose?: (() => void) | undefined;
}

/** What the SDK path needs of a Client: `Client` of `@modelcontextprotocol/sdk` 1.x or of `@modelcontextprotocol/client` 2.x. */
export interface SdkClientLike {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
  onclose?: (() => void) | undefined;
  getServerVersion(): { name: string; version: string } | undefined;
  getServerCapabilities(): object | undefined;
}

export interface SdkProxyOptions<S extends SdkServerLike, C extends SdkClientLike> {
  /** The remote-side transport, not started: ours, or the SDK's. */
  remote: Transport;
  initStdioServer?: (() => Promise<S>) | undefined;
  initStreamClient?: (() => Promise<C>) | undefined;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  logger: Logger;
}

export interface SdkProxyHandle<S, C> {
  server: S;
  client: C;
  close(): Promise<void>;
  closed: Promise<void>;
}

/** Our name and version, as the Client made for the caller introduces itself upstream. */
function clientInfo(): { name: string; version: string } {
  // package.json sits beside dist/ (and src/), like the CLI reads it.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return { name: "mcp-proxy", version: pkg.version };
}

// The SDK classes are loaded only on this path: the bridge path needs none of them.
async function defaultClient(): Promise<SdkClientLike> {
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  return new Client(clientInfo(), { capabilities: {} });
}

async function defaultServer(client: SdkClientLike): Promise<SdkServerLike> {
  const { Server } = await import("@modelcontextprotocol/sdk/server/index.js");
  const info = client.getServerVersion() ?? clientInfo();
  const capabilities = (client.getServerCapabilities() ?? {}) as ServerCapabilities;
  return new Server({ name: info.name, version: info.version }, { capabilities });
}

/** Calls `listener` after whatever `onclose` the object already had. */
function onClose(target: { onclose?: (() => void) | undefined }, listener: () => void): void {
  const previous = target.onclose;
  target.onclose = () => {
    previous?.();
    listener();
  };
}

/**
 * Connects the Client to `remote`, then the Server to stdin/stdout, relayed by
 * proxyServer. On a failed start the Client is closed and the error thrown.
 * When either side closes (stdin ended, the remote went away), both are closed.
 */
export async function startSdkProxy<S extends SdkServerLike, C extends SdkClientLike>(
  options: SdkProxyOptions<S, C>,
): Promise<SdkProxyHandle<S, C>> {
  const client = (
    options.initStreamClient ? await options.initStreamClient() : await defaultClient()
  ) as C;
  let server: S;
  try {
    await client.connect(options.remote);
    server = (
      options.initStdioServer ? await options.initStdioServer() : await defaultServer(client)
    ) as S;
    // Our init types ask only for what this module calls; proxyServer declares
    // what it calls, which an SDK Server or Client of either line has. Awaited
    // in case it settles asynchronously (the reference's returns a promise).
    await proxyServer({
      server: server as unknown as ProxyServerOptions["server"],
      client: client as unknown as ProxyServerOptions["client"],
      capabilities: (client.getServerCapabilities() ?? {}) as ProxyServerOptions["capabilities"],
    });
    await server.connect(new StdioStreamTransport(options.stdin, options.stdout, options.logger));
  } catch (error) {
    await client.close().catch(() => {
      // The start error is the one worth reporting.
    });
    throw error;
  }

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closing = false;
  const close = (): Promise<void> => {
    // The flag is set before either close() runs: each calls its onclose,
    // which comes back here.
    if (!closing) {
      closing = true;
      void Promise.allSettled([server.close(), client.close()]).then(() => resolveClosed());
    }
    return closed;
  };
  onClose(server, () => {
    options.logger.debug("stdio side closed");
    void close();
  });
  onClose(client, () => {
    options.logger.debug("remote side closed");
    void close();
  });
  return { server, client, close, closed };
}

/**
 * The SDK's own client transport (`@modelcontextprotocol/sdk` 1.x), for
 * `transportOptions` only it can honour (authProvider, fetch, …), which it
 * gets as they are. `headers` are added to `requestInit.headers` (they win).
 * The SDK has no fallback transport: anything but "sse" is Streamable HTTP,
 * as in the reference.
 */
export async function createSdkTransport(
  url: string | URL,
  kind: RemoteTransportKind,
  transportOptions: object,
  headers: Record<string, string>,
): Promise<Transport> {
  const given = transportOptions as { requestInit?: RequestInit };
  const requestInit: RequestInit = {
    ...given.requestInit,
    headers: { ...headersRecord(given.requestInit?.headers), ...headers },
  };
  const sdkOptions = { ...transportOptions, requestInit };
  if (kind === "sse") {
    const { SSEClientTransport } = await import("@modelcontextprotocol/sdk/client/sse.js");
    return new SSEClientTransport(new URL(url), sdkOptions);
  }
  const { StreamableHTTPClientTransport } = await import(
    "@modelcontextprotocol/sdk/client/streamableHttp.js"
  );
  return new StreamableHTTPClientTransport(new URL(url), sdkOptions);
}
