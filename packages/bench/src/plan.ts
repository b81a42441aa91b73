// How much of each scenario to run: the full plan (under 3 minutes) and --quick (under 30 s).
import { MiB } from "./stats.js";

export interface BenchPlan {
  name: "full" | "quick";
  /** Calls before measuring, per client (JIT, sockets, caches). */
  warmupCalls: number;
  /** Sequential small tools/call round trips measured for p50/p99. */
  latencyCalls: number;
  /** Time cap of warm-up plus latency calls, ms (a slow target gets fewer samples, at least 20). */
  latencyMaxMs: number;
  /** Concurrent sessions of the throughput scenario (the lean client runs them all). */
  sessionLevels: number[];
  /** The SDK client stops at this many sessions: its sessions cost a child each too, and time. */
  sdkMaxSessions: number;
  /** How long each throughput level runs, ms. */
  throughputMs: number;
  /** Large results: size in bytes and sequential repetitions. */
  largeResults: { label: string; bytes: number; reps: number }[];
  /** Time cap of each large-result measurement after its warm-up call, ms. */
  largeMaxMs: number;
  /** Sessions held open for the memory reading. */
  openSessions: number;
  /** Sessions opened, used once and closed in sequence for the churn scenario. */
  churnSessions: number;
  /** The churn's time cap with one child per session (a spawn per session bounds it, not the count). */
  churnMaxMs: number;
  /** The churn's time cap when sessions share one child (stateless, --shared): long enough for the count. */
  churnSharedMaxMs: number;
  /** Time given to a process to settle before an RSS reading, ms. */
  settleMs: number;
}

export const FULL_PLAN: BenchPlan = {
  name: "full",
  warmupCalls: 200,
  latencyCalls: 1000,
  latencyMaxMs: 8000,
  sessionLevels: [1, 16, 64],
  sdkMaxSessions: 16,
  throughputMs: 1000,
  largeResults: [
    { label: "1MiB", bytes: MiB, reps: 10 },
    { label: "8MiB", bytes: 8 * MiB, reps: 4 },
  ],
  largeMaxMs: 5000,
  openSessions: 100,
  churnSessions: 10_000,
  churnMaxMs: 4000,
  churnSharedMaxMs: 15_000,
  settleMs: 300,
};

export const QUICK_PLAN: BenchPlan = {
  name: "quick",
  warmupCalls: 30,
  latencyCalls: 150,
  latencyMaxMs: 1500,
  sessionLevels: [1, 4],
  sdkMaxSessions: 1,
  throughputMs: 300,
  largeResults: [
    { label: "1MiB", bytes: MiB, reps: 2 },
    { label: "8MiB", bytes: 8 * MiB, reps: 1 },
  ],
  largeMaxMs: 2000,
  openSessions: 4,
  churnSessions: 200,
  churnMaxMs: 500,
  churnSharedMaxMs: 500,
  settleMs: 100,
};
