// Many stateful sessions on one upstream (e.g. one child process), for servers
// whose tools hold no per-session state. Each `connect()` returns a virtual
// Transport, so whatever serves sessions (http-server) needs no change.
//
// Routing rules (LESSONS 11-13: route, never broadcast; forward what we do not
// understand; never agree to a version the upstream did not):
// - initialize: the first session's initialize reaches the upstream; later sessions are answered
//   from the cached result (same protocolVersion, capabilities and serverInfo); their
//   notifications/initialized are dropped. The upstream sees the first session's client
//   capabilities and clientInfo.
// - Requests get upstream ids from an IdRemapper and answers go back to their session with the
//   original id. Progress tokens are rewritten to the remapped request id and routed back.
//   notifications/cancelled is remapped, and the cancelled request is forgotten.
// - Server-to-client requests (sampling, elicitation, roots) go to the session whose request the
//   upstream says they relate to (`relatedRequestId` in onmessage's extra, e.g. an in-process SDK
//   Server), else to the one session with requests in flight; with none or several in flight they are answered upstream with a JSON-RPC error
//   (-32603). `ping` from the upstream is answered here.
// - list_changed notifications go to every session; resources/updated only to the sessions
//   subscribed to that uri (when none is, to the related or the one session in flight), with
//   resources/subscribe and unsubscribe reference-counted upstream.
// - logging/setLevel is answered here; the upstream is asked for the most verbose level any session
//   wants. notifications/message goes to the one session in flight, else to the sessions that set a
//   level; each session only gets messages at or above its own level.
// - Other upstream notifications go to the related session (as above) or the one session in
//   flight, else to every session.
// - The options of a session's send (e.g. authInfo for an in-process server) reach the upstream's
//   send with what is forwarded.
// - Closing a session cancels its pending requests upstream and releases its subscriptions. When
//   the upstream dies, every pending request gets a JSON-RPC error (-32000), every session closes,
//   and the next `connect()` starts a fresh upstream.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCodes, McpProxyError } from "./errors.js";
import { type Logger, silentLogger } from "./logger.js";
import { SharedUpstreamHub } from "./shared-upstream-hub.js";

export interface SharedUpstreamOptions {
  /**
   * Creates the upstream transport, not yet started (e.g. a ChildProcessTransport). Called on the
   * first `connect()` and again on the first `connect()` after the upstream died.
   */
  createTransport: () => Transport;
  /** Where routing oddities are logged (at debug). Default: silent. */
  logger?: Logger;
}

/** Shares one upstream Transport among many sessions; see the module comment for the rules. */
export class SharedUpstream {
  readonly #options: SharedUpstreamOptions;
  readonly #hubs = new Set<SharedUpstreamHub>();
  #current: SharedUpstreamHub | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: SharedUpstreamOptions) {
    this.#options = options;
  }

  /**
   * A new session's virtual Transport. Starting it starts the upstream once; closing it ends only
   * this session.
   */
  connect(): Transport {
    if (this.#closing) {
      throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "SharedUpstream is closed");
    }
    if (!this.#current || this.#current.dead) {
      const hub = new SharedUpstreamHub(
        this.#options.createTransport(),
        this.#options.logger ?? silentLogger,
        (dead) => {
          this.#hubs.delete(dead);
          if (this.#current === dead) this.#current = undefined;
        },
      );
      this.#hubs.add(hub);
      this.#current = hub;
    }
    return this.#current.attach();
  }

  /** Sessions connected to the current upstream. */
  get sessionCount(): number {
    return this.#current?.sessions.size ?? 0;
  }

  /** Closes the upstream and every session. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= Promise.all([...this.#hubs].map((hub) => hub.close())).then(() => {});
    return this.#closing;
  }
}
