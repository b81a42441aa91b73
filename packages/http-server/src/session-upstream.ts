// Opens the upstream of one 2025-era session (Streamable HTTP or HTTP+SSE, or
// stateless mode's shared upstream) in the era the operator asked for. With upstreamProtocol "modern" the
// user's transport is wrapped in core's LegacyClientAdapter, which serves the
// session's handshake from a 2026-07-28 upstream; with "auto" the first
// session probes (server/discover on its client's initialize) and the era it
// finds is kept, so later sessions are wrapped or relayed without probing (a
// probe that got no answer in time decides only its own session).
// SDK Servers from createServer speak the 2025 revisions and are relayed.
import type { IncomingMessage } from "node:http";
import { LegacyClientAdapter, type Logger, type UpstreamProtocol } from "@mcp-proxy/core";
import type { StartHTTPServerOptions } from "./options.js";
import { createUpstreamFor, type OpenedUpstream } from "./upstream.js";

/** A session's upstream: what the session drives, and the transport the user created. */
export interface SessionUpstream extends OpenedUpstream {
  /** The user's transport (equal to `transport` unless it was wrapped for a modern upstream). */
  source: OpenedUpstream["transport"];
}

export class SessionUpstreams {
  readonly #options: StartHTTPServerOptions;
  readonly #protocol: UpstreamProtocol;
  readonly #logger: Logger;
  /** The era the "auto" probe found, once one session has probed. */
  #era: "legacy" | "modern" | undefined;

  constructor(options: StartHTTPServerOptions, logger: Logger) {
    this.#options = options;
    this.#protocol = options.upstreamProtocol ?? "legacy";
    this.#logger = logger;
  }

  /** The upstream era sessions use: known at once for "legacy"/"modern", after a probe for "auto". */
  get era(): "legacy" | "modern" | undefined {
    if (this.#protocol === "auto") return this.#era;
    return this.#protocol;
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

  #found(era: "legacy" | "modern", answered: boolean): void {
    if (this.#era !== undefined || !answered) return;
    this.#era = era;
    this.#logger.info(`2025-era sessions: the upstream speaks the ${era} protocol`);
  }
}
