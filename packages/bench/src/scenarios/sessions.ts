// Opening and closing many sessions with bounded concurrency (spawning 64 children at
// once would measure the kernel's scheduler, not the proxy).
import type { BenchSession, ClientKind } from "../clients/types.js";
import type { RunningTarget } from "../targets.js";

const OPEN_CONCURRENCY = 8;

/** Opens `count` sessions, each having answered one call, `OPEN_CONCURRENCY` at a time. */
export async function openSessions(
  target: RunningTarget,
  kind: ClientKind,
  count: number,
): Promise<BenchSession[]> {
  const sessions: BenchSession[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const session = await target.open(kind);
      sessions.push(session);
      await session.call("echo", { text: "hello" });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, count) }, worker));
  } catch (error) {
    await closeSessions(sessions);
    throw error;
  }
  return sessions;
}

export async function closeSessions(sessions: readonly BenchSession[]): Promise<void> {
  for (let i = 0; i < sessions.length; i += OPEN_CONCURRENCY) {
    await Promise.all(
      sessions.slice(i, i + OPEN_CONCURRENCY).map((s) => s.close().catch(() => {})),
    );
  }
}
