// Closed-loop throughput: each session calls `echo` back to back for a fixed time;
// calls/s is the total over all sessions divided by the elapsed time.
import type { BenchSession } from "../clients/types.js";
import { msSince, round } from "../stats.js";

export async function measureThroughput(
  sessions: readonly BenchSession[],
  durationMs: number,
  call: (session: BenchSession) => Promise<unknown> = (s) => s.call("echo", { text: "load" }),
): Promise<number> {
  const start = process.hrtime.bigint();
  const deadline = Date.now() + durationMs;
  let calls = 0;
  await Promise.all(
    sessions.map(async (session) => {
      while (Date.now() < deadline) {
        await call(session);
        calls++;
      }
    }),
  );
  return round((calls * 1000) / msSince(start), 0);
}
