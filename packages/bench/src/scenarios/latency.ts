// Sequential round trips of a small tools/call on one session: p50/p99 in ms.
// Bounded by count and by time: a slow target (a reference proxy that spawns
// per request) gets fewer samples instead of stretching the run.
import type { BenchSession } from "../clients/types.js";
import { msSince, quantile, round } from "../stats.js";

const MIN_SAMPLES = 20;

export interface LatencyResult {
  calls: number;
  p50: number;
  p99: number;
}

export async function measureLatency(
  session: BenchSession,
  warmup: number,
  calls: number,
  maxMs: number,
): Promise<LatencyResult> {
  const deadline = Date.now() + maxMs;
  for (let i = 0; i < warmup && Date.now() < deadline; i++) {
    await session.call("echo", { text: "warm" });
  }
  const samples: number[] = [];
  // At least a few samples, however slow the target.
  for (let i = 0; i < calls && (i < MIN_SAMPLES || Date.now() < deadline); i++) {
    const start = process.hrtime.bigint();
    const length = await session.call("echo", { text: "ping" });
    samples.push(msSince(start));
    if (length !== 4) throw new Error(`echo returned ${length} characters`);
  }
  return {
    calls: samples.length,
    p50: round(quantile(samples, 0.5), 3),
    p99: round(quantile(samples, 0.99), 3),
  };
}
