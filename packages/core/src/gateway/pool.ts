// The upstreams a gateway shares among its clients. A 2025-era upstream is
// initialised with one client capability profile and serves only callers that
// declared exactly that profile (LESSONS 15-16), so upstreams are kept per
// profile: started on demand, bounded in number (503 beyond), stopped when
// idle. An interactive call (one that may trigger server->client requests, on
// a profile that lets the server ask anything) has its upstream to itself
// while it runs; beyond the per-profile bound such calls queue. The pool also
// re-subscribes listeners' resources and counts failures for the health check.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { CapabilityProfile } from "../capability-profile.js";
import { ErrorCodes, McpProxyError } from "../errors.js";
import type { ProtocolEra } from "../protocol/versions.js";
import { type Call, endCall } from "./call.js";
import type { ResolvedGatewayOptions } from "./gateway-options.js";
import type { SubscriptionRegistry } from "./subscriptions.js";
import { Upstream, type UpstreamIdentity } from "./upstream.js";

/** The one key of a modern upstream: it takes the capabilities per request, so every profile shares it. */
const MODERN_KEY = "*";
/** Most calls queued at once for a free upstream, across profiles (503 beyond). */
const MAX_QUEUED_CALLS = 1000;

interface Slot {
  upstream: Upstream<Call>;
  ready: Promise<void>;
  profile: CapabilityProfile;
  /** The profile key, or MODERN_KEY once the upstream turned out modern. */
  key: string;
  /** Stopped on purpose (idle, or to make room): its close is no failure. */
  retired: boolean;
  idleTimer: NodeJS.Timeout | undefined;
  lastUsed: number;
}

interface Waiter {
  key: string;
  profile: CapabilityProfile;
  grant(slot: Slot): void;
  fail(error: Error): void;
}

/** What the pool needs from the gateway that owns it. */
export interface UpstreamPoolHooks {
  isClosed(): boolean;
  onMessage(upstream: Upstream<Call>, message: JSONRPCMessage): void;
  /** Ends the calls, parked rounds and routes of an upstream that closed (before its ids are drained). */
  onClosed(upstream: Upstream<Call>, error: Error): void;
}

export class UpstreamPool {
  readonly #o: ResolvedGatewayOptions;
  readonly #subscriptions: SubscriptionRegistry;
  readonly #hooks: UpstreamPoolHooks;
  readonly #slots: Slot[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #failures: number[] = [];
  #era: ProtocolEra | undefined;
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
  get era(): ProtocolEra | undefined {
    return this.#era;
  }

  /** The handshake of the most recently started upstream. */
  get identity(): UpstreamIdentity | undefined {
    return this.#identity;
  }

  /**
   * An upstream for `profile`, started if need be. With `call`, the call is
   * registered on it at once (so that concurrent picks see it); an interactive
   * call on an interactive profile gets an upstream with no other interactive
   * call, waiting in line when the profile's upstreams are all taken.
   * Rejects with ERR_UPSTREAMS_BUSY (503) when no upstream can be had.
   */
  async acquire(
    call: Call | undefined,
    profile: CapabilityProfile,
    signal?: AbortSignal,
  ): Promise<Upstream<Call>> {
    if (this.#hooks.isClosed()) throw new McpProxyError(ErrorCodes.SHUTTING_DOWN, "Gateway closed");
    if (!this.healthy) {
      throw new McpProxyError(
        ErrorCodes.UPSTREAM_EXITED,
        "Upstream keeps failing; gateway unhealthy",
      );
    }
    const key = this.#era === "modern" ? MODERN_KEY : profile.key;
    const exclusive = this.#exclusive(call, profile);
    let slot =
      this.#pick(key, exclusive) ??
      this.#make(key, profile, exclusive) ??
      (exclusive ? this.#parkedOnly(key) : undefined);
    if (slot && call) this.#register(slot, call);
    slot ??= await this.#queue(key, profile, call, exclusive, signal);
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
    for (const waiter of this.#waiters.splice(0)) {
      waiter.fail(new McpProxyError(ErrorCodes.SHUTTING_DOWN, "Gateway closed"));
    }
    // A copy: closing an upstream removes its slot from the live list.
    await Promise.all([...this.#slots].map((slot) => slot.upstream.close()));
  }

  // ---- picking -------------------------------------------------------------

  /** Whether `call` needs an upstream with no other interactive call (see the module comment). */
  #exclusive(call: Call | undefined, profile: CapabilityProfile): boolean {
    return call?.interactive === true && profile.interactive && this.#era !== "modern";
  }

  #live(key: string): Slot[] {
    return this.#slots.filter((s) => s.key === key && !s.upstream.closed);
  }

  /** A running upstream for `key`: the first one, or for an exclusive call the first one free. */
  #pick(key: string, exclusive: boolean): Slot | undefined {
    const live = this.#live(key);
    return exclusive ? live.find((s) => s.upstream.interactiveCalls.size === 0) : live[0];
  }

  /**
   * With every upstream of `key` taken: one whose interactive calls are all parked (input_required
   * sent, no retry yet; the server is blocked on their inputs). A live call may run beside them:
   * a server request then belongs to the one call with a client waiting (attributeServerRequest),
   * so a client that never retries cannot hold an upstream for the parked round's whole TTL.
   */
  #parkedOnly(key: string): Slot | undefined {
    return this.#live(key).find((s) => {
      for (const call of s.upstream.interactiveCalls) if (!isParked(call)) return false;
      return true;
    });
  }

  /** Starts an upstream for `key` if the bounds allow, making room by stopping an idle one. */
  #make(key: string, profile: CapabilityProfile, exclusive: boolean): Slot | undefined {
    const count = this.#live(key).length;
    if (exclusive && count >= this.#o.maxUpstreamsPerProfile) return undefined;
    if (this.#slots.length >= this.#o.maxUpstreams && !this.#retireIdle()) return undefined;
    return this.#spawn(key, profile);
  }

  /** Waits for an upstream of `key` to free up (registering `call` on it); 503 when none can come. */
  #queue(
    key: string,
    profile: CapabilityProfile,
    call: Call | undefined,
    exclusive: boolean,
    signal: AbortSignal | undefined,
  ): Promise<Slot> {
    if (!exclusive || this.#live(key).length === 0 || this.#waiters.length >= MAX_QUEUED_CALLS) {
      return Promise.reject(busy(this.#o.maxUpstreams));
    }
    return new Promise<Slot>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
      };
      const waiter: Waiter = {
        key,
        profile,
        grant: (slot) => {
          leave();
          // At once, so that the next waiter sees this upstream taken.
          if (call) this.#register(slot, call);
          resolve(slot);
        },
        fail: (error) => {
          leave();
          reject(error);
        },
      };
      const onAbort = () => waiter.fail(new McpProxyError(ErrorCodes.TIMEOUT, "Request cancelled"));
      const timer = setTimeout(
        () => waiter.fail(busy(this.#o.maxUpstreams)),
        this.#o.queueTimeoutMs,
      );
      timer.unref?.();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Hands free upstreams (or room for new ones) to the calls waiting in line, first come first served. */
  #wake(): void {
    for (const waiter of [...this.#waiters]) {
      const live = this.#live(waiter.key);
      const free = live.find((s) => s.upstream.interactiveCalls.size === 0);
      if (free) {
        waiter.grant(free);
        continue;
      }
      if (live.length >= this.#o.maxUpstreamsPerProfile) continue;
      if (this.#slots.length >= this.#o.maxUpstreams && !this.#retireIdle()) continue;
      try {
        waiter.grant(this.#spawn(waiter.key, waiter.profile));
      } catch (error) {
        waiter.fail(error as Error);
      }
    }
  }

  #register(slot: Slot, call: Call): void {
    slot.lastUsed = Date.now();
    call.upstream = slot.upstream;
    slot.upstream.calls.add(call);
    if (call.interactive) slot.upstream.interactiveCalls.add(call);
  }

  /** A call on `slot` ended: its upstream may be free for a waiter. */
  #released(slot: Slot): void {
    slot.lastUsed = Date.now();
    if (this.#waiters.length > 0) this.#wake();
  }

  /**
   * Checks `slot` for idleness every `upstreamIdleTimeoutMs` (one timer per
   * upstream, not one per call: the hot path only stamps lastUsed).
   */
  #watchIdle(slot: Slot, delay = this.#o.upstreamIdleTimeoutMs): void {
    if (this.#o.upstreamIdleTimeoutMs <= 0) return;
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = undefined;
      if (slot.upstream.closed || slot.retired) return;
      const idleFor = Date.now() - slot.lastUsed;
      // Listeners need an upstream to hear changes from: keep the last one.
      const last = this.#slots.length === 1 && this.#subscriptions.size > 0;
      const remaining = this.#o.upstreamIdleTimeoutMs - idleFor;
      if (slot.upstream.calls.size > 0 || last || remaining > 0) {
        // Busy (or needed): look again a whole period later; idle but not long enough: when it will be.
        this.#watchIdle(
          slot,
          remaining > 0 && slot.upstream.calls.size === 0 ? remaining : undefined,
        );
        return;
      }
      this.#retire(slot);
    }, delay);
    slot.idleTimer.unref?.();
  }

  /**
   * Makes room: stops the least recently used upstream with no call in flight, else the one whose
   * calls are all parked rounds (they end as if expired: a client that retries is told to start
   * over). False when every upstream has a call running.
   */
  #retireIdle(): boolean {
    let idle: Slot | undefined;
    let parked: Slot | undefined;
    for (const s of this.#slots) {
      if (!s.upstream.identity || s.retired) continue;
      if (s.upstream.calls.size === 0) {
        if (!idle || s.lastUsed < idle.lastUsed) idle = s;
      } else if (onlyParked(s) && (!parked || s.lastUsed < parked.lastUsed)) parked = s;
    }
    const victim = idle ?? parked;
    if (!victim) return false;
    this.#retire(victim);
    return true;
  }

  #retire(slot: Slot): void {
    slot.retired = true;
    this.#o.logger.debug("stopping an idle upstream", { profile: slot.key });
    void slot.upstream.close();
  }

  // ---- lifecycle -----------------------------------------------------------

  #spawn(key: string, profile: CapabilityProfile): Slot {
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
    const slot: Slot = {
      upstream,
      profile,
      key,
      retired: false,
      idleTimer: undefined,
      lastUsed: Date.now(),
      ready: Promise.resolve(),
    };
    upstream.onCallEnded = () => this.#released(slot);
    slot.ready = upstream
      .start({
        protocol: this.#era ?? (this.#probeKilled ? "legacy" : this.#o.upstreamProtocol),
        clientInfo: this.#o.clientInfo,
        capabilities: profile.capabilities,
        initializeTimeoutMs: this.#o.initializeTimeoutMs,
        probeTimeoutMs: this.#o.probeTimeoutMs,
      })
      .then((identity) => {
        this.#era ??= identity.era;
        this.#identity = identity;
        if (identity.era === "modern") slot.key = MODERN_KEY;
        else {
          for (const uri of this.#subscriptions.uris) {
            void this.subscribe(upstream, "resources/subscribe", uri);
          }
        }
        this.#watchIdle(slot);
      })
      .catch((cause: unknown) => {
        throw startFailure(cause);
      });
    this.#slots.push(slot);
    const probing = this.#era === undefined && this.#o.upstreamProtocol === "auto";
    slot.ready.catch((error: unknown) => {
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
    const slot = this.#slots[i];
    if (i !== -1) this.#slots.splice(i, 1);
    if (slot) clearTimeout(slot.idleTimer);
    if (this.#hooks.isClosed())
      error = new McpProxyError(ErrorCodes.SHUTTING_DOWN, "Gateway closed");
    else if (upstream.identity && !slot?.retired) {
      this.#failures.push(Date.now());
      this.#o.logger.warn("upstream closed", { error });
    }
    this.#hooks.onClosed(upstream, error);
    upstream.remapper.drain();
    if (this.#hooks.isClosed()) return;
    // Waiters whose upstream went away may start a new one.
    if (this.#waiters.length > 0) this.#wake();
    // Listeners outlive an upstream: bring up a replacement that re-subscribes.
    if (slot && this.#subscriptions.size > 0 && this.healthy && this.#slots.length === 0) {
      this.acquire(undefined, slot.profile).catch(() => {});
    }
  }

  #recentFailures(): number {
    const since = Date.now() - this.#o.restartWindowMs;
    while (this.#failures.length > 0 && (this.#failures[0] as number) < since)
      this.#failures.shift();
    return this.#failures.length;
  }
}

/** Parked: inputs asked and no round waiting (a call just acquired has neither yet). */
const isParked = (call: Call): boolean => call.round === undefined && call.inputs.size > 0;

/** Every call on the upstream is a parked round. */
function onlyParked(slot: Slot): boolean {
  for (const call of slot.upstream.calls) if (!isParked(call)) return false;
  return true;
}

/** No upstream can be had now: 503 with Retry-After over HTTP. */
function busy(max: number): McpProxyError {
  return new McpProxyError(
    ErrorCodes.UPSTREAMS_BUSY,
    `All upstreams are busy (at most ${max}); retry shortly`,
  );
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
