// One client request as the gateway tracks it: the call (which spans MRTR
// rounds and owns its upstream id) and the round (one HTTP request's sink and
// abort signal). Plain records and the few functions that build or end them.
import type { JSONRPCMessage, JSONRPCRequest, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { type CapabilityProfile, capabilityProfile } from "../capability-profile.js";
import { META, requestMeta } from "../protocol/versions.js";
import type { ModernSink } from "./sink.js";
import { progressTokenOf } from "./translate.js";
import type { Upstream } from "./upstream.js";

/** Severity order of `notifications/message` levels, for a round's `_meta` logLevel. */
export const LOG_RANK: Readonly<Record<string, number>> = {
  debug: 0,
  info: 1,
  notice: 2,
  warning: 3,
  error: 4,
  critical: 5,
  alert: 6,
  emergency: 7,
};

export interface Round {
  clientId: RequestId;
  sink: ModernSink;
  progressToken: RequestId | undefined;
  logLevel: string | undefined;
  finish(): void;
  detach(): void;
}

export interface PendingInput {
  serverId: RequestId;
  method: string;
  params: Record<string, unknown> | undefined;
}

/** One client request as the upstream sees it, across MRTR rounds. */
export interface Call {
  upstream: Upstream<Call>;
  upstreamId: string;
  method: string;
  /** params.name or params.uri: a retry must name the same thing. */
  target: unknown;
  interactive: boolean;
  capabilities: Record<string, unknown>;
  /** The capability profile the call's upstream was picked for. */
  profile: CapabilityProfile;
  round: Round | undefined;
  inputs: Map<string, PendingInput>;
  nextInput: number;
  flushTimer: NodeJS.Timeout | undefined;
  flushStarted: number | undefined;
  ended: boolean;
  /** The upstream's answer when it arrived while the call was parked. */
  final: JSONRPCMessage | undefined;
}

export function newCall(request: JSONRPCRequest, interactive: boolean): Call {
  const profile = profileOf(request);
  return {
    upstream: undefined as unknown as Upstream<Call>,
    upstreamId: "",
    method: request.method,
    target: targetOf(request.params as Record<string, unknown> | undefined),
    interactive,
    capabilities: profile.capabilities,
    profile,
    round: undefined,
    inputs: new Map(),
    nextInput: 0,
    flushTimer: undefined,
    flushStarted: undefined,
    ended: false,
    final: undefined,
  };
}

/**
 * A round for `request`, answered through `sink`; `done` resolves when the
 * round finishes. An abort of `signal` calls `onAbort` with the round.
 */
export function newRound(
  request: JSONRPCRequest,
  sink: ModernSink,
  signal: AbortSignal | undefined,
  onAbort: (round: Round) => void,
): { round: Round; done: Promise<void> } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  const level = requestMeta(request)?.[META.logLevel];
  const abort = () => onAbort(round);
  const round: Round = {
    clientId: request.id,
    sink,
    progressToken: progressTokenOf(request as { params?: Record<string, unknown> }),
    logLevel: typeof level === "string" && level in LOG_RANK ? level : undefined,
    finish: () => {
      signal?.removeEventListener("abort", abort);
      resolve();
    },
    detach: () => signal?.removeEventListener("abort", abort),
  };
  signal?.addEventListener("abort", abort, { once: true });
  return { round, done };
}

export function endCall(call: Call): void {
  call.ended = true;
  if (call.flushTimer) clearTimeout(call.flushTimer);
  const upstream = call.upstream;
  if (!upstream?.calls.delete(call)) return;
  upstream.interactiveCalls.delete(call);
  upstream.onCallEnded?.();
}

export const targetOf = (params: Record<string, unknown> | undefined): unknown =>
  params?.name ?? params?.uri;

export function capabilitiesOf(request: JSONRPCRequest): Record<string, unknown> {
  const caps = requestMeta(request)?.[META.clientCapabilities];
  return typeof caps === "object" && caps !== null ? (caps as Record<string, unknown>) : {};
}

/** The capability profile a modern request declares in its `_meta`. */
export function profileOf(request: JSONRPCRequest): CapabilityProfile {
  return capabilityProfile(capabilitiesOf(request));
}
