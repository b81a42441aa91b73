// Large results: `big{size}` returns `size` bytes of text; median time per call in ms.
import type { BenchSession } from "../clients/types.js";
import { median, msSince, round } from "../stats.js";

export async function measureLarge(
  session: BenchSession,
  bytes: number,
  reps: number,
  maxMs: number,
): Promise<number> {
  const deadline = Date.now() + maxMs;
  await session.call("big", { size: bytes }); // warm the path and the buffers once
  const samples: number[] = [];
  // Count- and time-bounded; one sample at least.
  for (let i = 0; i < reps && (i === 0 || Date.now() < deadline); i++) {
    const start = process.hrtime.bigint();
    const length = await session.call("big", { size: bytes });
    samples.push(msSince(start));
    if (length !== bytes) throw new Error(`big returned ${length} of ${bytes} characters`);
  }
  return round(median(samples), 1);
}
