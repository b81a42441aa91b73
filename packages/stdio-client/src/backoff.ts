// Bounded exponential backoff for reconnecting event streams, and a sleep that
// a close() can cut short.
import { setTimeout as sleep } from "node:timers/promises";
import {
  DEFAULT_RECONNECT_GROW_FACTOR,
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_ATTEMPTS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  type ReconnectOptions,
} from "./options.js";

/**
 * Delay before reconnection attempt `attempt` (1-based): "full jitter", a random delay up to the
 * exponential bound, so that many fronts of a restarted server do not retry in lockstep. A server
 * `retry:` value wins (the server asked for that pacing).
 */
export function backoffDelay(
  attempt: number,
  serverRetry?: number,
  random: () => number = Math.random,
  reconnect: ReconnectOptions = {},
): number {
  const maxDelay = reconnect.maxDelay ?? DEFAULT_RECONNECT_MAX_DELAY_MS;
  if (serverRetry !== undefined) return Math.min(serverRetry, maxDelay);
  const initial = reconnect.initialDelay ?? DEFAULT_RECONNECT_INITIAL_DELAY_MS;
  const grow = reconnect.growFactor ?? DEFAULT_RECONNECT_GROW_FACTOR;
  const bound = initial * grow ** Math.max(0, attempt - 1);
  return Math.floor(random() * Math.min(bound, maxDelay));
}

/** Failed attempts in a row after which a stream is given up. */
export function maxReconnectAttempts(reconnect: ReconnectOptions = {}): number {
  return reconnect.maxAttempts ?? DEFAULT_RECONNECT_MAX_ATTEMPTS;
}

/** Waits `ms`; resolves false (instead of throwing) when `signal` aborts first. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
