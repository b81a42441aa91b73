// What a ModernGateway can be told, and the defaults it falls back to, in one
// place so that the gateway and its helpers read one resolved object.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type Logger, silentLogger } from "../logger.js";
import {
  DEFAULT_UPSTREAM_PROBE_TIMEOUT_MS,
  DEFAULT_UPSTREAM_PROTOCOL,
  MODERN_PROTOCOL_VERSIONS,
  type ProtocolEraOption,
} from "../protocol/versions.js";
import { DEFAULT_MAX_PARKED_ROUNDS, DEFAULT_PARKED_ROUND_TTL_MS } from "./parked-rounds.js";

export interface ModernGatewayOptions {
  /** Creates a fresh upstream transport (e.g. a ChildProcessTransport); the gateway starts and closes it. */
  createUpstream: () => Transport;
  /** How to open the upstream: 2025 `initialize`, a `server/discover` probe with fallback, or modern only. */
  upstreamProtocol?: ProtocolEraOption;
  /**
   * Most upstreams running at once, across client capability profiles (a 2025-era upstream serves
   * one profile). Beyond it an idle one is stopped to make room, else the request gets 503.
   */
  maxUpstreams?: number;
  /**
   * Most upstreams of one capability profile. An interactive call (tools/call, prompts/get,
   * resources/read from a client that declared sampling, elicitation or roots) has its upstream to
   * itself, so this many run at once per profile; more wait in line.
   */
  maxUpstreamsPerProfile?: number;
  /** An upstream with no call for this long is stopped (0: never). */
  upstreamIdleTimeoutMs?: number;
  /** Longest a call waits in line for a free upstream of its profile before a 503. */
  queueTimeoutMs?: number;
  /** Versions accepted from modern clients. */
  supportedVersions?: readonly string[];
  /**
   * Versions listed by `server/discover` and -32022 errors; default
   * `supportedVersions`. A dual-era endpoint adds the legacy versions it serves.
   */
  advertisedVersions?: readonly string[];
  /** Cap on input rounds parked at once (input_required sent, retry awaited), across all clients. */
  maxParkedRounds?: number;
  /** How long a parked input round waits for the client's retry. */
  parkedRoundTtlMs?: number;
  /**
   * Starts every requestState the gateway hands out: its own parked rounds' and, wrapped as
   * `<prefix>~<state>` and restored on the retry, a modern upstream's. A cluster of proxies sets
   * it to `<replica>.` so that a retry landing on another replica is sent to the one holding
   * the round. Default "" (states as they are).
   */
  requestStatePrefix?: string;
  /** Timeout of the upstream's `initialize` answer. */
  initializeTimeoutMs?: number;
  /** Timeout of the `server/discover` probe in "auto" mode (no answer means legacy). */
  probeTimeoutMs?: number;
  /** Timeout of the gateway's own upstream requests (resources/subscribe, tools/list). */
  requestTimeoutMs?: number;
  /** Upstream failures (exits, failed starts) tolerated within `restartWindowMs` before the gateway is unhealthy. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** How the gateway introduces itself to the upstream. */
  clientInfo?: { name: string; version: string };
  /**
   * Told the resource URIs a `subscriptions/listen` stream subscribed to (in front of a 2025-era
   * upstream, after the gateway subscribed them upstream); returns the release, run when the
   * stream ends. For embedders whose own upstream is not the gateway's (the reference package's
   * `onListenSubscriptions`). A hook that rejects fails the listen request.
   */
  onListenSubscriptions?: ListenSubscriptionsHandler;
  logger?: Logger;
}

/** See `ModernGatewayOptions.onListenSubscriptions`. */
export type ListenSubscriptionsHandler = (uris: string[]) => Promise<() => void>;

export const DEFAULT_MAX_UPSTREAMS = 8;
export const DEFAULT_MAX_UPSTREAMS_PER_PROFILE = 4;
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_QUEUE_TIMEOUT_MS = 60_000;
/** How long an upstream may take to answer the proxy's own `initialize` (stateless mode's too). */
export const DEFAULT_INITIALIZE_TIMEOUT_MS = 30_000;
export const DEFAULT_GATEWAY_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESTARTS = 3;
export const DEFAULT_RESTART_WINDOW_MS = 60_000;
export const DEFAULT_GATEWAY_CLIENT_INFO = { name: "mcp-proxy", version: "1.0.0" };

/** The options with every default applied (`advertisedVersions` stays optional: it falls back at use). */
export type ResolvedGatewayOptions = Required<
  Omit<ModernGatewayOptions, "logger" | "advertisedVersions" | "onListenSubscriptions">
> & {
  logger: Logger;
  onListenSubscriptions: ListenSubscriptionsHandler | undefined;
  advertisedVersions: readonly string[] | undefined;
};

export function resolveGatewayOptions(options: ModernGatewayOptions): ResolvedGatewayOptions {
  return {
    upstreamProtocol: DEFAULT_UPSTREAM_PROTOCOL,
    maxUpstreams: DEFAULT_MAX_UPSTREAMS,
    maxUpstreamsPerProfile: DEFAULT_MAX_UPSTREAMS_PER_PROFILE,
    upstreamIdleTimeoutMs: DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
    queueTimeoutMs: DEFAULT_QUEUE_TIMEOUT_MS,
    supportedVersions: MODERN_PROTOCOL_VERSIONS,
    maxParkedRounds: DEFAULT_MAX_PARKED_ROUNDS,
    parkedRoundTtlMs: DEFAULT_PARKED_ROUND_TTL_MS,
    requestStatePrefix: "",
    initializeTimeoutMs: DEFAULT_INITIALIZE_TIMEOUT_MS,
    probeTimeoutMs: DEFAULT_UPSTREAM_PROBE_TIMEOUT_MS,
    requestTimeoutMs: DEFAULT_GATEWAY_REQUEST_TIMEOUT_MS,
    maxRestarts: DEFAULT_MAX_RESTARTS,
    restartWindowMs: DEFAULT_RESTART_WINDOW_MS,
    clientInfo: DEFAULT_GATEWAY_CLIENT_INFO,
    logger: silentLogger,
    advertisedVersions: undefined,
    onListenSubscriptions: undefined,
    ...stripUndefined(options),
    createUpstream: options.createUpstream,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o))
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
