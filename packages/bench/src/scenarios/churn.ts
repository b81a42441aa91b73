// Session churn: open a session, make one call, close it, in sequence, up to a count or
// a time cap; proxy RSS before and after shows whether anything is kept per session.
import type { ClientKind } from "../clients/types.js";
import { sampleRssAfterGc } from "../proc.js";
import { MiB, round, sleep } from "../stats.js";
import type { RunningTarget } from "../targets.js";

export interface ChurnResult {
  /** Sessions actually completed (less than asked when the time cap hit). */
  sessions: number;
  asked: number;
  seconds: number;
  beforeMiB: number;
  afterMiB: number;
  /** Children alive after the run (should be what was there before). */
  processesBefore: number;
  processesAfter: number;
}

export async function measureChurn(
  target: RunningTarget,
  pid: number,
  kind: ClientKind,
  count: number,
  maxMs: number,
  settleMs: number,
): Promise<ChurnResult> {
  const before = await sampleRssAfterGc(pid, settleMs);
  const start = Date.now();
  let done = 0;
  while (done < count && Date.now() - start < maxMs) {
    const session = await target.open(kind);
    await session.call("echo", { text: "churn" });
    await session.close();
    done++;
  }
  const seconds = (Date.now() - start) / 1000;
  // Children of closed sessions take a moment to exit; give them a bounded wait.
  await sleep(settleMs * 2);
  const after = await sampleRssAfterGc(pid, settleMs);
  return {
    sessions: done,
    asked: count,
    seconds: round(seconds, 1),
    beforeMiB: round(before.proxy / MiB, 1),
    afterMiB: round(after.proxy / MiB, 1),
    processesBefore: before.processes,
    processesAfter: after.processes,
  };
}
