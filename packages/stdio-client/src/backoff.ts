// Bounded exponential backoff for reconnecting event streams, and a sleep that
// a close() can cut short.
import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULT_RECONNECT_INITIAL_DELAY_MS, DEFAULT_RECONNECT_MAX_DELAY_MS } from "./options.js";

/** Delay before reconnection attempt `attempt` (1-based); a server `retry:` value wins. */
export function backoffDelay(attempt: number, serverRetry?: number): number {
  if (serverRetry !== undefined) return Math.min(serverRetry, DEFAULT_RECONNECT_MAX_DELAY_MS);
  const delay = DEFAULT_RECONNECT_INITIAL_DELAY_MS * 2 ** Math.max(0, attempt - 1);
  return Math.min(delay, DEFAULT_RECONNECT_MAX_DELAY_MS);
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
