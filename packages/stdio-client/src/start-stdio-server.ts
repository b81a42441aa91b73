// startStdioServer: this process speaks MCP on its stdin/stdout and forwards
// every message to a remote server: unchanged when the local client and the
// server speak the same era (2025: Streamable HTTP or SSE; 2026-07-28), else
// translated in whichever direction is needed. Given an SDK Server or Client
// (the reference's initStdioServer / initStreamClient), it relays through
// those objects instead.
import { bridge, createStderrLogger, type Logger, type ProtocolEraOption } from "@mcp-proxy/core";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { AutoClientTransport, type RemoteTransportKind } from "./auto-transport.js";
import { EraTransport } from "./era-transport.js";
import { LocalEraTransport } from "./local-era-transport.js";
import { checkAuthOptions } from "./oauth-flow.js";
import type { HttpClientOptions } from "./options.js";
import {
  headersRecord,
  type ReferenceStdioOptions,
  type ReferenceTransportOptions,
  resolveReferenceOptions,
  unsupportedTransportOptions,
} from "./reference-options.js";
import {
  createSdkTransport,
  type SdkClientLike,
  type SdkServerLike,
  startSdkProxy,
} from "./sdk-proxy.js";
import { StdioStreamTransport } from "./stdio-transport.js";
import { StreamableHttpClientTransport } from "./streamable-http-client.js";

/** The transport used when none is given. */
export const DEFAULT_TRANSPORT: RemoteTransportKind = "auto";
/** The protocol era used when none is given. */
export const DEFAULT_PROTOCOL: ProtocolEraOption = "auto";

/**
 * Options of {@link startStdioServer}. The reference package's names
 * (`serverType`, `upstreamProtocol`, `transportOptions`) are accepted beside
 * ours; see {@link ReferenceStdioOptions}.
 */
export interface StartStdioServerOptions<
  S extends SdkServerLike = Server,
  C extends SdkClientLike = Client,
> extends HttpClientOptions,
    ReferenceStdioOptions {
  /** The remote MCP endpoint, e.g. `https://example.com/mcp` (or `/sse` for an SSE server). */
  url: string | URL;
  /**
   * `stream`: Streamable HTTP; `sse`: the 2024-11-05 HTTP+SSE transport;
   * `auto`: Streamable HTTP, falling back to SSE when the server refuses it.
   * Default {@link DEFAULT_TRANSPORT}.
   */
  transport?: RemoteTransportKind;
  /**
   * Which protocol era to speak to the server. `auto`: on the local client's
   * `initialize`, probe with a 2026-07-28 `server/discover` and translate for
   * the local (2025-era) client when the server speaks it, else forward as
   * today; `legacy`: never send a 2026-07-28 request; `modern`: require
   * 2026-07-28 (the local initialize fails otherwise). The SSE transport is
   * always legacy. Default {@link DEFAULT_PROTOCOL}.
   */
  protocol?: ProtocolEraOption;
  /** Where MCP messages come from. Default `process.stdin`. */
  stdin?: NodeJS.ReadableStream;
  /** Where MCP messages go; nothing else is ever written here. Default `process.stdout`. */
  stdout?: NodeJS.WritableStream;
  /** Diagnostics (never stdout). Default: a stderr logger at level "info". */
  logger?: Logger;
  /**
   * Wraps the remote-side transport before it is bridged, e.g. with
   * `tapTransport` from `@mcp-proxy/tap` to see every message and lifecycle
   * event between the local client and the server (what the CLI's `--debug`
   * and `--log-file` do). Called once, with the transport not yet started.
   */
  wrapRemote?: (remote: Transport) => Transport;
  /**
   * Bring your own SDK Server (1.x or 2.x) for the stdio side. Given this or
   * `initStreamClient`, messages are relayed through SDK objects (core's
   * `proxyServer`) instead of bridged, and the remote is connected before
   * `startStdioServer` resolves. Default there: a 1.x `Server` with the
   * remote's name, version and capabilities.
   */
  initStdioServer?: () => Promise<S>;
  /**
   * Bring your own SDK Client (1.x or 2.x) for the remote side; it is
   * connected over this package's transports (`protocol` still applies to
   * them; a 2.x Client's own `versionNegotiation` is yours to set, see
   * `resolveVersionNegotiation`). Default there: a 1.x `Client` named
   * "mcp-proxy".
   */
  initStreamClient?: () => Promise<C>;
}

export interface StdioServerHandle<S = Server, C = Client> {
  /** Ends the remote session (DELETE) and stops reading stdin; idempotent. */
  close(): Promise<void>;
  /** Resolves once everything is closed, e.g. after stdin ended. */
  closed: Promise<void>;
  /** The SDK Server on stdio: only with `initStdioServer` or `initStreamClient`. */
  server?: S;
  /** The SDK Client connected to the remote: only with `initStdioServer` or `initStreamClient`. */
  client?: C;
}

/**
 * Builds the remote-side transport for `options.transport` and `protocol`; it
 * picks its leg by the local client's era on the first message.
 */
export function createRemoteTransport(
  options: HttpClientOptions & Pick<StartStdioServerOptions, "url" | "transport" | "protocol">,
  logger: Logger,
): Transport {
  const kind = options.transport ?? DEFAULT_TRANSPORT;
  const protocol = options.protocol ?? DEFAULT_PROTOCOL;
  const httpOptions: HttpClientOptions = { ...options, logger };
  if (kind !== "stream" && kind !== "sse" && kind !== "auto")
    throw new TypeError(`Unknown transport "${String(kind)}" (expected stream, sse or auto)`);
  if (protocol !== "legacy" && protocol !== "auto" && protocol !== "modern")
    throw new TypeError(`Unknown protocol "${String(protocol)}" (expected legacy, auto or modern)`);
  if (protocol === "modern" && kind === "sse")
    throw new TypeError('protocol "modern" needs Streamable HTTP, not transport "sse"');
  checkAuthOptions(options);
  const legacy = (): Transport =>
    kind === "stream"
      ? new StreamableHttpClientTransport(options.url, httpOptions)
      : new AutoClientTransport(options.url, kind, httpOptions);
  // 2026-07-28 exists only on Streamable HTTP: an SSE server is legacy by definition.
  const remoteIsLegacy = protocol === "legacy" || kind === "sse";
  return new LocalEraTransport({
    url: options.url,
    options: httpOptions,
    probe: remoteIsLegacy ? false : protocol,
    createLegacyClientLeg: () =>
      remoteIsLegacy ? legacy() : new EraTransport(options.url, protocol, httpOptions, legacy),
    // The gateway opens a new remote session when one is lost (its upstream closes).
    createRemoteSession: () =>
      kind === "stream"
        ? new StreamableHttpClientTransport(options.url, {
            ...httpOptions,
            closeOnSessionLost: true,
          })
        : new AutoClientTransport(options.url, kind, { ...httpOptions, closeOnSessionLost: true }),
  });
}

/**
 * Serves MCP on stdin/stdout and forwards it to a remote server. Resolves once
 * the local side is listening; the remote connection is made with the first
 * message, so connection and auth failures answer that message as JSON-RPC
 * errors. When stdin ends, the remote session is ended and `closed` resolves.
 * With `initStdioServer` or `initStreamClient`, the remote is connected first
 * (its failures reject) and the handle carries the `server` and `client`.
 * Throws a TypeError for options that disagree or cannot be honoured.
 */
export async function startStdioServer<
  S extends SdkServerLike = Server,
  C extends SdkClientLike = Client,
>(options: StartStdioServerOptions<S, C>): Promise<StdioServerHandle<S, C>> {
  const sdkPath = options.initStdioServer !== undefined || options.initStreamClient !== undefined;
  // Only SDK objects can take the SDK transport, and only it takes these options.
  const sdkTransport = sdkPath && unsupportedTransportOptions(options.transportOptions).length > 0;
  if (sdkTransport) refuseBesideSdkTransport(options);
  const resolved = resolveReferenceOptions(options, { sdkTransport });
  const logger = resolved.logger ?? createStderrLogger("info");
  const stdin = resolved.stdin ?? process.stdin;
  const stdout = resolved.stdout ?? process.stdout;

  if (sdkPath) {
    const created = sdkTransport
      ? await createSdkTransport(
          resolved.url,
          resolved.transport ?? DEFAULT_TRANSPORT,
          sdkTransportOptions(options.transportOptions ?? {}, resolved.authProvider),
          sdkHeaders(resolved),
        )
      : createRemoteTransport(resolved, logger);
    const remote = resolved.wrapRemote ? resolved.wrapRemote(created) : created;
    return startSdkProxy<S, C>({
      remote,
      initStdioServer: resolved.initStdioServer,
      initStreamClient: resolved.initStreamClient,
      stdin,
      stdout,
      logger,
    });
  }

  const created = createRemoteTransport(resolved, logger);
  const remote = resolved.wrapRemote ? resolved.wrapRemote(created) : created;
  const local = new StdioStreamTransport(stdin, stdout, logger);
  const handle = await bridge(local, remote, {
    onError: (error, side) =>
      logger.debug(`${side === "a" ? "stdio" : "remote"} side: ${error.message}`),
    onClose: (info) => logger.debug("stdio proxy closed", { side: info.side }),
  });
  return {
    close: () => handle.close(),
    closed: handle.closed.then(() => undefined),
  };
}

/** Our options that the SDK transport has no way to take. */
const NOT_FOR_SDK_TRANSPORT = [
  "getHeaders",
  "sslCa",
  "sslCert",
  "sslKey",
  "connectTimeout",
  "requestTimeout",
  "reconnect",
] as const;

/**
 * The SDK transport is chosen for `transportOptions` only it can honour; our
 * options it cannot take are refused rather than dropped, naming the field
 * that chose it.
 */
function refuseBesideSdkTransport(
  options: StartStdioServerOptions<SdkServerLike, SdkClientLike>,
): void {
  const chosenBy = unsupportedTransportOptions(options.transportOptions)[0]?.option;
  const why = `the SDK transport is used because of ${chosenBy}`;
  for (const name of NOT_FOR_SDK_TRANSPORT) {
    if (options[name] !== undefined)
      throw new TypeError(`${name} cannot be honoured: ${why}, and it has no such option`);
  }
  const [name, protocol] =
    options.protocol !== undefined
      ? ["protocol", options.protocol]
      : ["upstreamProtocol", options.upstreamProtocol];
  if (protocol !== undefined && protocol !== "legacy")
    throw new TypeError(
      `${name} "${protocol}" cannot be honoured: ${why}; set versionNegotiation on the Client of initStreamClient (resolveVersionNegotiation) instead`,
    );
}

/** The SDK transport takes an OAuth provider too: ours goes there unless it names its own. */
function sdkTransportOptions(
  transportOptions: ReferenceTransportOptions,
  authProvider: HttpClientOptions["authProvider"],
): ReferenceTransportOptions {
  if (authProvider === undefined) return transportOptions;
  if (transportOptions.authProvider !== undefined && transportOptions.authProvider !== authProvider)
    throw new TypeError(
      "authProvider and transportOptions.authProvider disagree; pass one of them",
    );
  return { ...transportOptions, authProvider };
}

/** `headers` and `bearer` as the SDK transport's extra request headers (bearer wins, as on our path). */
function sdkHeaders(options: HttpClientOptions): Record<string, string> {
  const headers = headersRecord(options.headers) ?? {};
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  return headers;
}
