// Many stateful sessions on shared upstreams (e.g. child processes), for servers
// whose tools hold no per-session state. Each `connect()` returns a virtual
// Transport, so whatever serves sessions (http-server) needs no change.
//
// One upstream per client capability profile (LESSONS 15-16): a session's
// initialize picks the upstream initialised with exactly the capabilities it
// declared (started on demand, at most `maxUpstreams` at once, stopped after
// `idleTimeoutMs` without sessions), so a server offers and asks only what the
// session's client can do. On a profile that lets the server ask (sampling,
// elicitation, roots), interactive calls (tools/call, prompts/get,
// resources/read) of different sessions never overlap: one session holds the
// upstream's interactive gate at a time and the others' calls wait in line, so
// a server-to-client request belongs to the holder. `connect({ joining })`
// puts a session on another session's upstream without an initialize
// (stateless mode's per-POST sessions).
//
// Routing rules (LESSONS 11-13: route, never broadcast; forward what we do not
// understand; never agree to a version the upstream did not):
// - initialize: the first initialize of a profile reaches its upstream; later sessions of the
//   profile are answered from the cached result (same protocolVersion, capabilities and
//   serverInfo); their notifications/initialized are dropped. The upstream sees the first
//   session's clientInfo.
// - Requests get upstream ids from one record each (ForwardedRequests) and answers go back to
//   their session with the original id. Progress tokens are rewritten to the remapped request id and routed back.
//   notifications/cancelled is remapped, and the cancelled request is forgotten.
// - Server-to-client requests (sampling, elicitation, roots) go to the session whose request the
//   upstream says they relate to (`relatedRequestId` in onmessage's extra, e.g. an in-process SDK
//   Server), else to the session holding the interactive gate (without the gate: the one session
//   with requests in flight). One that no call caused is answered here (answerUnattributed: no
//   roots, elicitation declined, sampling refused). `ping` from the upstream is answered here.
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
//   and the next initialize of that profile starts a fresh upstream.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { capabilityProfile } from "./capability-profile.js";
import { ErrorCodes, JsonRpcErrorCodes, McpProxyError } from "./errors.js";
import {
  DEFAULT_MAX_UPSTREAMS,
  DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
} from "./gateway/gateway-options.js";
import { jsonRpcError } from "./jsonrpc.js";
import { type Logger, silentLogger } from "./logger.js";
import { SharedUpstreamHub } from "./shared-upstream-hub.js";
import { type SessionHub, SharedSessionTransport } from "./shared-upstream-session.js";

export interface SharedUpstreamOptions {
  /**
   * Creates an upstream transport, not yet started (e.g. a ChildProcessTransport). Called for the
   * first session of each capability profile, and again after that profile's upstream died.
   */
  createTransport: () => Transport;
  /** Where routing oddities are logged (at debug). Default: silent. */
  logger?: Logger;
  /**
   * Keep interactive calls of different sessions from overlapping on a profile that lets the
   * server ask the client something (see the module comment). Default true; stateless mode turns
   * it off, since its requests declare no capabilities of their own.
   */
  exclusiveInteractive?: boolean;
  /** Most upstreams at once; a session of yet another profile is refused. Default DEFAULT_MAX_UPSTREAMS. */
  maxUpstreams?: number;
  /** An upstream with no session for this long is stopped (0: never). Default DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS. */
  idleTimeoutMs?: number;
}

export interface SharedConnectOptions {
  /** Put the new session on this session's upstream at once, without an initialize of its own. */
  joining?: Transport;
}

/** Shares upstream Transports among many sessions, one per capability profile; see the module comment. */
export class SharedUpstream {
  readonly #options: SharedUpstreamOptions;
  /** Every hub not yet closed; the live one of each profile is also in #byProfile. */
  readonly #hubs = new Set<SharedUpstreamHub>();
  readonly #byProfile = new Map<string, SharedUpstreamHub>();
  readonly #router: SessionHub;
  #idleTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: SharedUpstreamOptions) {
    this.#options = options;
    this.#router = {
      start: () => Promise.resolve(),
      fromSession: (session, message) => this.#route(session, message),
      detach: () => {},
    };
  }

  /**
   * A new session's virtual Transport. Its initialize starts (or joins) the upstream of its
   * capability profile; closing it ends only this session. Throws when closed, or when
   * `joining` names a session whose upstream has ended.
   */
  connect(options: SharedConnectOptions = {}): Transport {
    if (this.#closing) {
      throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "SharedUpstream is closed");
    }
    const session = new SharedSessionTransport(this.#router);
    const hub = options.joining instanceof SharedSessionTransport ? options.joining.hub : undefined;
    if (hub instanceof SharedUpstreamHub) {
      if (hub.dead)
        throw new McpProxyError(ErrorCodes.UPSTREAM_CLOSED, "The shared upstream ended");
      hub.adopt(session);
    }
    return session;
  }

  /** Sessions connected to live upstreams. */
  get sessionCount(): number {
    let count = 0;
    for (const hub of this.#byProfile.values()) count += hub.sessions.size;
    return count;
  }

  /** Live upstreams (one per capability profile in use). */
  get upstreamCount(): number {
    return this.#byProfile.size;
  }

  /** Closes every upstream and every session. Idempotent. */
  close(): Promise<void> {
    clearInterval(this.#idleTimer);
    this.#closing ??= Promise.all([...this.#hubs].map((hub) => hub.close())).then(() => {});
    return this.#closing;
  }

  /** A session's first message: an initialize picks its upstream; anything else is refused. */
  async #route(session: SharedSessionTransport, message: JSONRPCMessage): Promise<void> {
    const m = message as { id?: RequestId; method?: string; params?: { capabilities?: unknown } };
    if (m.method !== "initialize") {
      if (m.id !== undefined && m.method !== undefined) {
        session.deliver(
          jsonRpcError(m.id, JsonRpcErrorCodes.INVALID_REQUEST, "Send initialize first"),
        );
      }
      return;
    }
    let hub: SharedUpstreamHub;
    try {
      hub = this.#hubFor(m.params?.capabilities);
    } catch (error) {
      if (m.id !== undefined) {
        const text = error instanceof Error ? error.message : String(error);
        session.deliver(jsonRpcError(m.id, JsonRpcErrorCodes.CONNECTION_CLOSED, text));
      }
      return;
    }
    hub.adopt(session);
    await hub.start();
    return hub.fromSession(session, message);
  }

  /** The live upstream for these capabilities, started if need be (stopping an idle one for room). */
  #hubFor(capabilities: unknown): SharedUpstreamHub {
    if (this.#closing) {
      throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "SharedUpstream is closed");
    }
    const profile = capabilityProfile(capabilities);
    const live = this.#byProfile.get(profile.key);
    if (live && !live.dead) return live;
    const max = this.#options.maxUpstreams ?? DEFAULT_MAX_UPSTREAMS;
    if (this.#byProfile.size >= max && !this.#stopIdlest()) {
      throw new McpProxyError(
        ErrorCodes.UPSTREAMS_BUSY,
        `All upstreams are busy (at most ${max} client capability profiles at once); retry shortly`,
      );
    }
    const hub = new SharedUpstreamHub(
      this.#options.createTransport(),
      this.#options.logger ?? silentLogger,
      (dead) => {
        this.#hubs.delete(dead);
        if (this.#byProfile.get(profile.key) === dead) this.#byProfile.delete(profile.key);
      },
      profile.interactive && this.#options.exclusiveInteractive !== false,
    );
    this.#hubs.add(hub);
    this.#byProfile.set(profile.key, hub);
    this.#watchIdle();
    return hub;
  }

  /** Stops the upstream that has had no session the longest; false when every one has sessions. */
  #stopIdlest(): boolean {
    let idlest: SharedUpstreamHub | undefined;
    for (const hub of this.#byProfile.values()) {
      if (hub.idleSince === undefined) continue;
      if (!idlest || hub.idleSince < (idlest.idleSince as number)) idlest = hub;
    }
    if (!idlest) return false;
    void idlest.close();
    return true;
  }

  /** One timer for all upstreams, running only while there are any. */
  #watchIdle(): void {
    const idleMs = this.#options.idleTimeoutMs ?? DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS;
    if (idleMs <= 0 || this.#idleTimer) return;
    this.#idleTimer = setInterval(
      () => {
        const now = Date.now();
        for (const hub of [...this.#byProfile.values()]) {
          if (hub.idleSince !== undefined && now - hub.idleSince >= idleMs) void hub.close();
        }
        if (this.#byProfile.size === 0) {
          clearInterval(this.#idleTimer);
          this.#idleTimer = undefined;
        }
      },
      Math.max(10, Math.min(idleMs, 60_000)),
    );
    this.#idleTimer.unref?.();
  }
}
