// startStdioServer: this process speaks MCP on its stdin/stdout and forwards
// every message to a remote server: unchanged when the local client and the
// server speak the same era (2025: Streamable HTTP or SSE; 2026-07-28), else
// translated in whichever direction is needed.
import { bridge, createStderrLogger, type Logger } from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { AutoClientTransport, type RemoteTransportKind } from "./auto-transport.js";
import { EraTransport, type RemoteProtocol } from "./era-transport.js";
import { LocalEraTransport } from "./local-era-transport.js";
import type { HttpClientOptions } from "./options.js";
import { StdioStreamTransport } from "./stdio-transport.js";
import { StreamableHttpClientTransport } from "./streamable-http-client.js";

/** The transport used when none is given. */
export const DEFAULT_TRANSPORT: RemoteTransportKind = "auto";
/** The protocol era used when none is given. */
export const DEFAULT_PROTOCOL: RemoteProtocol = "auto";

/** Options of {@link startStdioServer}. */
export interface StartStdioServerOptions extends HttpClientOptions {
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
  protocol?: RemoteProtocol;
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
}

export interface StdioServerHandle {
  /** Ends the remote session (DELETE) and stops reading stdin; idempotent. */
  close(): Promise<void>;
  /** Resolves once everything is closed, e.g. after stdin ended. */
  closed: Promise<void>;
}

/**
 * Builds the remote-side transport for `options.transport` and `protocol`; it
 * picks its leg by the local client's era on the first message.
 */
export function createRemoteTransport(options: StartStdioServerOptions, logger: Logger): Transport {
  const kind = options.transport ?? DEFAULT_TRANSPORT;
  const protocol = options.protocol ?? DEFAULT_PROTOCOL;
  const httpOptions: HttpClientOptions = { ...options, logger };
  if (kind !== "stream" && kind !== "sse" && kind !== "auto")
    throw new TypeError(`Unknown transport "${String(kind)}" (expected stream, sse or auto)`);
  if (protocol !== "legacy" && protocol !== "auto" && protocol !== "modern")
    throw new TypeError(`Unknown protocol "${String(protocol)}" (expected legacy, auto or modern)`);
  if (protocol === "modern" && kind === "sse")
    throw new TypeError('protocol "modern" needs Streamable HTTP, not transport "sse"');
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
 */
export async function startStdioServer(
  options: StartStdioServerOptions,
): Promise<StdioServerHandle> {
  const logger = options.logger ?? createStderrLogger("info");
  const created = createRemoteTransport(options, logger);
  const remote = options.wrapRemote ? options.wrapRemote(created) : created;
  const local = new StdioStreamTransport(
    options.stdin ?? process.stdin,
    options.stdout ?? process.stdout,
    logger,
  );
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
