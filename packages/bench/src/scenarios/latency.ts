// Sequential round trips of a small tools/call on one session: p50/p99 in ms.
import type { BenchSession } from "../clients/types.js";
import { msSince, quantile, round } from "../stats.js";

export interface LatencyResult {
  calls: number;
  p50: number;
  p99: number;
}

export async function measureLatency(
  session: BenchSession,
  warmup: number,
  calls: number,
): Promise<LatencyResult> {
  for (let i = 0; i < warmup; i++) await session.call("echo", { text: "warm" });
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = process.hrtime.bigint();
    const length = await session.call("echo", { text: "ping" });
    samples.push(msSince(start));
    if (length !== 4) throw new Error(`echo returned ${length} characters`);
  }
  return { calls, p50: round(quantile(samples, 0.5), 3), p99: round(quantile(samples, 0.99), 3) };
}
