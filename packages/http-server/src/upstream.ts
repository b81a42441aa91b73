// Opens the upstream of a session: the user's Transport (createUpstream), or
// an SDK Server connected over an in-process pair (createServer), so the
// session sees one started Transport. For 2025-era sessions (Streamable HTTP,
// HTTP+SSE, stateless mode's shared upstream) it is opened in the era the
// operator asked for: with upstreamProtocol "modern" the user's transport is
// wrapped in core's LegacyClientAdapter, which serves the session's handshake
// from a 2026-07-28 upstream; with "auto" the first session probes
// (server/discover on its client's initialize) and the era it finds is kept,
// so later sessions are wrapped or relayed without probing (a probe that got
// no answer in time decides only its own session). SDK Servers from
// createServer speak the 2025 revisions and are relayed.
import type { IncomingMessage } from "node:http";
import {
  LegacyClientAdapter,
  type Logger,
  type ProtocolEra,
  type ProtocolEraOption,
} from "@mcp-proxy/core";
import { DEFAULT_UPSTREAM_PROTOCOL } from "@mcp-proxy/core/internal";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { createInProcessPair } from "./in-process.js";
import type { McpServerLike, StartHTTPServerOptions } from "./options.js";
import { TimedUpstream } from "./upstream-timing.js";

export interface OpenedUpstream {
  transport: Transport;
  server?: McpServerLike;
}

/**
 * Creates the upstream without starting it (the caller installs its handlers first,
 * then calls `transport.start()`).
 */
export async function createUpstreamFor(
  options: StartHTTPServerOptions,
  request: IncomingMessage,
  sessionId: string | undefined,
): Promise<OpenedUpstream> {
  if (options.createUpstream) {
    return { transport: timed(options, await options.createUpstream({ request, sessionId })) };
  }
  if (!options.createServer)
    throw new TypeError("startHTTPServer: createServer or createUpstream is required");
  const server = await options.createServer(request);
  const [upstreamSide, serverSide] = createInProcessPair(sessionId);
  await server.connect(serverSide);
  return { transport: timed(options, upstreamSide), server };
}

/** The upstream, timed per request when the metrics hook asks for it. */
function timed(options: StartHTTPServerOptions, transport: Transport): Transport {
  const onAnswer = options.metrics?.onUpstreamAnswer?.bind(options.metrics);
  return onAnswer ? new TimedUpstream(transport, onAnswer) : transport;
}

/** A session's upstream: what the session drives, and the transport the user created. */
export interface SessionUpstream extends OpenedUpstream {
  /** The user's transport (equal to `transport` unless it was wrapped for a modern upstream). */
  source: OpenedUpstream["transport"];
}

/** Opens the upstream of a new 2025-era session (what handlers see of SessionUpstreams). */
export interface UpstreamOpener {
  /** Creates, without starting, the upstream of session `sessionId` (none: stateless mode's). */
  open(request: IncomingMessage, sessionId: string | undefined): Promise<SessionUpstream>;
}

/** Opens the upstreams of 2025-era sessions in the configured era. */
export class SessionUpstreams implements UpstreamOpener {
  readonly #options: StartHTTPServerOptions;
  readonly #protocol: ProtocolEraOption;
  readonly #logger: Logger;
  /** The era the "auto" probe found, once one session has probed. */
  #era: ProtocolEra | undefined;

  constructor(options: StartHTTPServerOptions, logger: Logger) {
    this.#options = options;
    this.#protocol = options.upstreamProtocol ?? DEFAULT_UPSTREAM_PROTOCOL;
    this.#logger = logger;
  }

  /** Creates (without starting) the upstream of a new session (no id: stateless mode's shared one). */
  async open(request: IncomingMessage, sessionId: string | undefined): Promise<SessionUpstream> {
    const opened = await createUpstreamFor(this.#options, request, sessionId);
    const plain = { ...opened, source: opened.transport };
    if (opened.server || this.#protocol === "legacy") return plain;
    if (this.#protocol === "auto" && this.#era === "legacy") return plain;
    const probing = this.#protocol === "auto" && this.#era === undefined;
    const adapter = new LegacyClientAdapter(opened.transport, {
      protocol: probing ? "auto" : "modern",
      logger: this.#logger,
      onEra: probing ? (era, info) => this.#found(era, info.answered) : undefined,
    });
    return { ...opened, transport: adapter, source: opened.transport };
  }

  #found(era: ProtocolEra, answered: boolean): void {
    if (this.#era !== undefined || !answered) return;
    this.#era = era;
    this.#logger.info(`2025-era sessions: the upstream speaks the ${era} protocol`);
  }
}
