// Proxy memory: VmRSS of the proxy process alone and with its children, idle and with
// N sessions open (each has answered one call), and the per-session increase.
import { type RssSample, sampleRss } from "../proc.js";
import { MiB, round, sleep } from "../stats.js";

/** MiB figures of one reading. */
export interface RssReading {
  proxyMiB: number;
  totalMiB: number;
  processes: number;
}

export interface OpenSessionsMemory {
  sessions: number;
  open: RssReading;
  /** (open - idle) / sessions, proxy alone and with children. */
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

export async function readIdle(pid: number, settleMs: number): Promise<RssSample> {
  await sleep(settleMs);
  return sampleRss(pid);
}

/** Reads RSS with `count` sessions open (opened by the caller) against the idle reading. */
export async function memoryWithOpenSessions(
  pid: number,
  count: number,
  idle: RssSample,
  settleMs: number,
): Promise<OpenSessionsMemory> {
  await sleep(settleMs);
  const open = sampleRss(pid);
  return {
    sessions: count,
    open: reading(open),
    perSessionProxyMiB: round((open.proxy - idle.proxy) / MiB / count, 3),
    perSessionTotalMiB: round((open.total - idle.total) / MiB / count, 3),
  };
}
