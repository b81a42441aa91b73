// The upstreams a gateway shares among its clients: picks one per call
// (giving concurrent interactive calls their own when allowed), starts and
// replaces them, re-subscribes listeners' resources, and counts failures for
// the health check.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, McpProxyError } from "../errors.js";
import { type Call, endCall } from "./call.js";
import type { ResolvedGatewayOptions } from "./gateway-options.js";
import type { SubscriptionRegistry } from "./subscriptions.js";
import { Upstream, type UpstreamIdentity } from "./upstream.js";

type Slot = { upstream: Upstream<Call>; ready: Promise<void> };

/** What the pool needs from the gateway that owns it. */
export interface UpstreamPoolHooks {
  isClosed(): boolean;
  onMessage(upstream: Upstream<Call>, message: JSONRPCMessage): void;
  /** Ends the calls, exchanges and routes of an upstream that closed (before its ids are drained). */
  onClosed(upstream: Upstream<Call>, error: Error): void;
}

export class UpstreamPool {
  readonly #o: ResolvedGatewayOptions;
  readonly #subscriptions: SubscriptionRegistry;
  readonly #hooks: UpstreamPoolHooks;
  readonly #slots: Slot[] = [];
  readonly #failures: number[] = [];
  #era: "legacy" | "modern" | undefined;
  #identity: UpstreamIdentity | undefined;
  #probeKilled = false;

  constructor(
    options: ResolvedGatewayOptions,
    subscriptions: SubscriptionRegistry,
    hooks: UpstreamPoolHooks,
  ) {
    this.#o = options;
    this.#subscriptions = subscriptions;
    this.#hooks = hooks;
  }

  /** False once closed, or while upstream failures exceed `maxRestarts` within `restartWindowMs`. */
  get healthy(): boolean {
    return !this.#hooks.isClosed() && this.#recentFailures() <= this.#o.maxRestarts;
  }

  /** The era of the upstream once known (after the first successful start). */
  get era(): "legacy" | "modern" | undefined {
    return this.#era;
  }

  /** The handshake of the most recently started upstream. */
  get identity(): UpstreamIdentity | undefined {
    return this.#identity;
  }

  /**
   * Picks (or starts) an upstream. `interactive` marks a call that may trigger
   * server->client requests: it is registered at once so that concurrent picks
   * see it, and it prefers an upstream with no other such call in flight, since
   * a stdio upstream's request carries nothing to attribute it by.
   */
  async acquire(call: Call | undefined): Promise<Upstream<Call>> {
    if (this.#hooks.isClosed()) throw new McpProxyError(ErrorCodes.SHUTTING_DOWN, "Gateway closed");
    if (!this.healthy) {
      throw new McpProxyError(
        ErrorCodes.UPSTREAM_EXITED,
        "Upstream keeps failing; gateway unhealthy",
      );
    }
    const live = this.#slots.filter((s) => !s.upstream.closed);
    let slot: Slot | undefined;
    if (call?.interactive && this.#era !== "modern") {
      slot = live.find((s) => s.upstream.interactiveCalls.size === 0);
      if (!slot && live.length < this.#o.maxUpstreams) slot = this.#spawn();
      slot ??= live.reduce((a, b) =>
        b.upstream.interactiveCalls.size < a.upstream.interactiveCalls.size ? b : a,
      );
    } else {
      slot = live[0] ?? this.#spawn();
    }
    if (call) {
      call.upstream = slot.upstream;
      slot.upstream.calls.add(call);
      if (call.interactive) slot.upstream.interactiveCalls.add(call);
    }
    try {
      await slot.ready;
    } catch (error) {
      if (call) endCall(call);
      throw error;
    }
    return slot.upstream;
  }

  /** Runs `fn` on every started upstream. */
  async all(fn: (u: Upstream<Call>) => Promise<void>): Promise<void> {
    await Promise.all(
      this.#slots
        .filter((s) => !s.upstream.closed && s.upstream.identity)
        .map((s) => fn(s.upstream)),
    );
  }

  async subscribe(upstream: Upstream<Call>, method: string, uri: string): Promise<void> {
    try {
      await upstream.request(method, { uri }, this.#o.requestTimeoutMs);
    } catch (error) {
      // The server advertised subscribe; some send updates without it anyway.
      this.#o.logger.debug(`upstream ${method} failed`, { uri, error });
    }
  }

  async close(): Promise<void> {
    // A copy: closing an upstream removes its slot from the live list.
    await Promise.all([...this.#slots].map((slot) => slot.upstream.close()));
  }

  #spawn(): Slot {
    let transport: Transport;
    try {
      transport = this.#o.createUpstream();
    } catch (cause) {
      this.#failures.push(Date.now());
      throw startFailure(cause);
    }
    const upstream = new Upstream<Call>(
      transport,
      (u, m) => this.#hooks.onMessage(u, m),
      (u, e) => this.#onClosed(u, e),
    );
    const ready = upstream
      .start({
        protocol: this.#era ?? (this.#probeKilled ? "legacy" : this.#o.upstreamProtocol),
        clientInfo: this.#o.clientInfo,
        initializeTimeoutMs: this.#o.initializeTimeoutMs,
        probeTimeoutMs: this.#o.probeTimeoutMs,
      })
      .then((identity) => {
        this.#era ??= identity.era;
        this.#identity = identity;
        if (identity.era === "legacy") {
          for (const uri of this.#subscriptions.uris) {
            void this.subscribe(upstream, "resources/subscribe", uri);
          }
        }
      })
      .catch((cause: unknown) => {
        throw startFailure(cause);
      });
    const slot: Slot = { upstream, ready };
    this.#slots.push(slot);
    const probing = this.#era === undefined && this.#o.upstreamProtocol === "auto";
    ready.catch((error: unknown) => {
      this.#o.logger.warn("upstream failed to start", { error });
      // A legacy server that dies on the unknown probe gets initialize next time.
      if (probing && upstream.closed && !upstream.identity) this.#probeKilled = true;
      this.#failures.push(Date.now());
      void upstream.close();
    });
    return slot;
  }

  #onClosed(upstream: Upstream<Call>, error: Error): void {
    const i = this.#slots.findIndex((s) => s.upstream === upstream);
    if (i !== -1) this.#slots.splice(i, 1);
    if (this.#hooks.isClosed())
      error = new McpProxyError(ErrorCodes.SHUTTING_DOWN, "Gateway closed");
    else if (upstream.identity) {
      this.#failures.push(Date.now());
      this.#o.logger.warn("upstream closed", { error });
    }
    this.#hooks.onClosed(upstream, error);
    upstream.remapper.drain();
    // Listeners outlive an upstream: bring up a replacement that re-subscribes.
    if (
      !this.#hooks.isClosed() &&
      this.#subscriptions.size > 0 &&
      this.healthy &&
      this.#slots.length === 0
    ) {
      this.acquire(undefined).catch(() => {});
    }
  }

  #recentFailures(): number {
    const since = Date.now() - this.#o.restartWindowMs;
    while (this.#failures.length > 0 && (this.#failures[0] as number) < since)
      this.#failures.shift();
    return this.#failures.length;
  }
}

/** A failure to create or start an upstream, as the proxy's own error (502 over HTTP). */
function startFailure(cause: unknown): McpProxyError {
  if (cause instanceof McpProxyError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new McpProxyError(
    ErrorCodes.SPAWN_FAILED,
    `The upstream could not be started: ${reason}`,
    {
      cause,
    },
  );
}
