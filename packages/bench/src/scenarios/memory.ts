// Proxy memory: VmRSS of the proxy process alone and with its children, idle and with
// N sessions open (each has answered one call), and the per-session increase.
import { type RssSample, sampleRssAfterGc } from "../proc.js";
import { MiB, round } from "../stats.js";
import type { RunningTarget } from "../targets.js";

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
  /** Increase of the proxy's live memory (V8 heap used + external, after GC) per added session. */
  perSessionLiveKiB?: number;
}

/** An RSS sample plus, when the proxy reports it, its live memory after GC in bytes. */
export interface MemorySample extends RssSample {
  live?: number;
}

export function reading(sample: RssSample): RssReading {
  return {
    proxyMiB: round(sample.proxy / MiB, 1),
    totalMiB: round(sample.total / MiB, 1),
    processes: sample.processes,
  };
}

/** RSS after a full GC in the proxy (see gc-on-signal.ts), with its live memory if reported. */
export async function readMemory(
  target: RunningTarget,
  pid: number,
  settleMs: number,
): Promise<MemorySample> {
  const rss = await sampleRssAfterGc(pid, settleMs);
  const report = target.memoryReport?.();
  return report ? { ...rss, live: report.heapUsed + report.external } : rss;
}

/**
 * Per-session memory as a slope: RSS with a few sessions open (`base`) and with all of
 * them open. Both readings come after the same kind of activity, so heap growth that
 * is not per session (JIT, first-request buffers, garbage not yet collected) cancels out,
 * unlike a difference against the idle reading taken right after startup.
 */
export async function memoryWithOpenSessions(
  target: RunningTarget,
  pid: number,
  base: MemorySample,
  baseCount: number,
  count: number,
  settleMs: number,
): Promise<OpenSessionsMemory> {
  const open = await readMemory(target, pid, settleMs);
  const added = Math.max(1, count - baseCount);
  return {
    ...(open.live !== undefined && base.live !== undefined
      ? { perSessionLiveKiB: round((open.live - base.live) / 1024 / added, 1) }
      : {}),
    sessions: count,
    open: reading(open),
    perSessionProxyMiB: round((open.proxy - base.proxy) / MiB / added, 3),
    perSessionTotalMiB: round((open.total - base.total) / MiB / added, 3),
  };
}
