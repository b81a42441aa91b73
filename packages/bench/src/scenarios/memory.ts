// Proxy memory: VmRSS of the proxy process alone and with its children, idle and with
// N sessions open (each has answered one call), and the per-session increase.
import { type RssSample, sampleRssAfterGc } from "../proc.js";
import { MiB, round } from "../stats.js";

/** MiB figures of one reading. */
export interface RssReading {
  proxyMiB: number;
  totalMiB: number;
  processes: number;
}

export interface OpenSessionsMemory {
  sessions: number;
  open: RssReading;
  /** RSS increase per added session (see memoryWithOpenSessions), proxy alone and with children. */
  perSessionProxyMiB: number;
  perSessionTotalMiB: number;
}

export function reading(sample: RssSample): RssReading {
  return {
    proxyMiB: round(sample.proxy / MiB, 1),
    totalMiB: round(sample.total / MiB, 1),
    processes: sample.processes,
  };
}

/** RSS after a full GC in the proxy (see gc-on-signal.ts). */
export function readIdle(pid: number, settleMs: number): Promise<RssSample> {
  return sampleRssAfterGc(pid, settleMs);
}

/**
 * Per-session memory as a slope: RSS with a few sessions open (`base`) and with all of
 * them open. Both readings come after the same kind of activity, so heap growth that
 * is not per session (JIT, first-request buffers, garbage not yet collected) cancels out,
 * unlike a difference against the idle reading taken right after startup.
 */
export async function memoryWithOpenSessions(
  pid: number,
  base: RssSample,
  baseCount: number,
  count: number,
  settleMs: number,
): Promise<OpenSessionsMemory> {
  const open = await sampleRssAfterGc(pid, settleMs);
  const added = Math.max(1, count - baseCount);
  return {
    sessions: count,
    open: reading(open),
    perSessionProxyMiB: round((open.proxy - base.proxy) / MiB / added, 3),
    perSessionTotalMiB: round((open.total - base.total) / MiB / added, 3),
  };
}
