// Runs every scenario against one target, in an order that reuses what is open:
// start (startup time, idle RSS) → per client: RSS with N sessions open (lean only),
// latency, large results, throughput at each session level → session churn.
import type { BenchSession, ClientKind } from "../clients/types.js";
import type { BenchPlan } from "../plan.js";
import type { Target } from "../targets.js";
import { type ChurnResult, measureChurn } from "./churn.js";
import { measureLarge } from "./large.js";
import { type LatencyResult, measureLatency } from "./latency.js";
import {
  memoryWithOpenSessions,
  type OpenSessionsMemory,
  type RssReading,
  reading,
  readMemory,
} from "./memory.js";
import { closeSessions, openSessions } from "./sessions.js";
import { measureThroughput } from "./throughput.js";

export interface ClientResult {
  client: ClientKind;
  latency?: LatencyResult;
  /** calls/s by number of concurrent sessions ("1", "16", "64"). */
  throughput: Record<string, number>;
  /** median ms by result size label ("1MiB", "8MiB"). */
  large: Record<string, number>;
  memory?: OpenSessionsMemory;
  error?: string;
}

export interface TargetResult {
  target: string;
  system: Target["system"];
  transport: Target["transport"];
  childPerSession: boolean;
  startupMs?: number;
  idle?: RssReading;
  clients: ClientResult[];
  churn?: ChurnResult;
  error?: string;
}

const CLIENTS: ClientKind[] = ["lean", "sdk"];

export async function runTarget(
  target: Target,
  plan: BenchPlan,
  log: (line: string) => void,
): Promise<TargetResult> {
  const result: TargetResult = {
    target: target.name,
    system: target.system,
    transport: target.transport,
    childPerSession: target.childPerSession,
    clients: [],
  };
  let running: Awaited<ReturnType<Target["start"]>>;
  try {
    running = await target.start();
  } catch (error) {
    result.error = `start: ${message(error)}`;
    return result;
  }
  try {
    result.startupMs = Math.round(running.startupMs);
    const pid = running.pid;
    const idle = pid === undefined ? undefined : await readMemory(running, pid, plan.settleMs);
    if (idle) result.idle = reading(idle);
    for (const kind of CLIENTS) {
      log(`  ${target.name} / ${kind}`);
      const client: ClientResult = { client: kind, throughput: {}, large: {} };
      result.clients.push(client);
      let sessions: BenchSession[] = [];
      try {
        // Memory first, against the idle reading: later phases grow the heap and would be
        // counted as per-session cost. The sessions opened here serve the throughput levels.
        const measureMemory =
          kind === "lean" &&
          pid !== undefined &&
          idle &&
          target.transport !== "chain" &&
          target.system !== "ceiling";
        const baseCount = Math.max(1, Math.round(plan.openSessions / 10));
        sessions = await openSessions(running, kind, measureMemory ? baseCount : 1);
        if (measureMemory) {
          const base = await readMemory(running, pid, plan.settleMs);
          sessions.push(...(await openSessions(running, kind, plan.openSessions - baseCount)));
          client.memory = await memoryWithOpenSessions(
            running,
            pid,
            base,
            baseCount,
            sessions.length,
            plan.settleMs,
          );
          log(`    ${sessions.length} sessions open: ${client.memory.open.proxyMiB} MiB`);
        }
        const first = sessions[0]!;
        client.latency = await measureLatency(
          first,
          plan.warmupCalls,
          plan.latencyCalls,
          plan.latencyMaxMs,
        );
        log(`    latency p50 ${client.latency.p50} ms`);
        for (const large of plan.largeResults) {
          client.large[large.label] = await measureLarge(
            first,
            large.bytes,
            large.reps,
            plan.largeMaxMs,
          );
          log(`    ${large.label}: ${client.large[large.label]} ms`);
        }
        for (const level of plan.sessionLevels) {
          if (level > (target.maxSessions ?? Number.POSITIVE_INFINITY)) continue;
          if (kind === "sdk" && level > plan.sdkMaxSessions) continue;
          if (sessions.length < level) {
            sessions.push(...(await openSessions(running, kind, level - sessions.length)));
          }
          const active = sessions.slice(0, level);
          await measureThroughput(active, Math.min(200, plan.throughputMs / 4)); // warm-up
          client.throughput[String(level)] = await measureThroughput(active, plan.throughputMs);
          log(`    ${level} sessions: ${client.throughput[String(level)]} calls/s`);
        }
      } catch (error) {
        client.error = message(error);
      } finally {
        await closeSessions(sessions);
        log(`    closed ${sessions.length} sessions`);
      }
    }
    const sharedChild = target.transport === "stateless" || target.name.endsWith("shared");
    const churns = target.transport === "stream" || sharedChild;
    if (running.pid !== undefined && churns && target.system !== "ceiling") {
      log(`  ${target.name} / churn`);
      try {
        result.churn = await measureChurn(
          running,
          running.pid,
          "lean",
          plan.churnSessions,
          sharedChild ? plan.churnSharedMaxMs : plan.churnMaxMs,
          plan.settleMs,
        );
      } catch (error) {
        result.error = `churn: ${message(error)}`;
      }
    }
  } finally {
    await running.stop();
  }
  return result;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
