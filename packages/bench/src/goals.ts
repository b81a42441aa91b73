// The issue's targets, checked against a run. Reference figures are the issue's own
// measurement of mcp-proxy 6.7.19 on a 2-core machine; a reference found installed
// in the same run replaces them.
import type { ClientKind } from "./clients/types.js";
import type { TargetResult } from "./scenarios/run-target.js";
import { round } from "./stats.js";

export const ISSUE_REFERENCE = {
  p50Ms: 2.6,
  oneSessionCallsPerSec: 365,
  sixteenSessionsCallsPerSec: 1283,
  statelessCallsPerSec: 316,
  directStdioP50Ms: 0.21,
  directStdioCallsPerSec: 3500,
};

export interface GoalCheck {
  goal: string;
  measured: string;
  met: boolean | undefined;
}

export function checkGoals(results: readonly TargetResult[]): GoalCheck[] {
  const find = (name: string, kind: ClientKind) =>
    results.find((r) => r.target === name)?.clients.find((c) => c.client === kind);
  const ref = (transport: string, kind: ClientKind) =>
    results
      .find((r) => r.system === "mcp-proxy" && r.transport === transport)
      ?.clients.find((c) => c.client === kind);
  const checks: GoalCheck[] = [];
  const add = (
    goal: string,
    value: number | undefined,
    bound: number,
    higherIsBetter: boolean,
    unit: string,
  ) => {
    // A goal measured against a target that did not run (e.g. --only) is not a miss.
    if (value === undefined || !Number.isFinite(value) || !Number.isFinite(bound)) {
      checks.push({ goal, measured: "not measured", met: undefined });
      return;
    }
    const met = higherIsBetter ? value >= bound : value <= bound;
    checks.push({ goal, measured: `${round(value, 3)} ${unit} (bound ${round(bound, 3)})`, met });
  };

  const directLean = find("direct stdio", "lean")?.latency?.p50;
  const streamLean = find("ours stream", "lean")?.latency?.p50;
  add(
    "1 stateful session, lean: p50 within 0.5 ms of direct stdio (lean)",
    streamLean !== undefined && directLean !== undefined ? streamLean - directLean : undefined,
    0.5,
    false,
    "ms over direct",
  );

  const refOne = ref("stream", "sdk")?.throughput["1"] ?? ISSUE_REFERENCE.oneSessionCallsPerSec;
  add(
    "1 stateful session, SDK: ≥ 3x the reference's calls/s",
    find("ours stream", "sdk")?.throughput["1"],
    3 * refOne,
    true,
    "calls/s",
  );

  const refSixteen =
    ref("stream", "sdk")?.throughput["16"] ?? ISSUE_REFERENCE.sixteenSessionsCallsPerSec;
  add(
    "16 sessions, SDK: ≥ 2.5x the reference's calls/s",
    find("ours stream", "sdk")?.throughput["16"],
    2.5 * refSixteen,
    true,
    "calls/s",
  );

  // The reference serves every session from one child: --shared is the like-for-like mode.
  const sharedSixteen = find("ours shared", "sdk")?.throughput["16"];
  if (sharedSixteen !== undefined) {
    add(
      "16 sessions, SDK, one child each side (ours --shared): ≥ 2.5x the reference's calls/s",
      sharedSixteen,
      2.5 * refSixteen,
      true,
      "calls/s",
    );
  }

  for (const level of ["1", "16"]) {
    const stateful = find("ours stream", "sdk")?.throughput[level];
    add(
      `stateless within 20% of stateful throughput (SDK, ${level} session${level === "1" ? "" : "s"})`,
      find("ours stateless", "sdk")?.throughput[level],
      stateful === undefined ? Number.NaN : 0.8 * stateful,
      true,
      "calls/s",
    );
  }

  const memory = find("ours stream", "lean")?.memory;
  add(
    "idle session: < 0.25 MiB proxy RSS per session (children excluded)",
    memory?.perSessionProxyMiB,
    0.25,
    false,
    `MiB/session RSS slope; live ${memory?.perSessionLiveKiB ?? "?"} KiB/session;`,
  );

  // One row per mode: only the modes that share a child get through 10,000 sessions in the time cap.
  for (const name of ["ours stream", "ours stateless", "ours shared"]) {
    const churn = results.find((r) => r.target === name)?.churn;
    if (!churn && name === "ours shared") continue;
    add(
      `${name}: flat after ${churn?.sessions ?? "?"} sessions opened and closed (growth < 10 MiB)`,
      churn ? churn.afterMiB - churn.beforeMiB : undefined,
      10,
      false,
      "MiB growth",
    );
  }

  for (const kind of ["lean", "sdk"] as const) {
    const direct = find("direct stdio", kind)?.large["8MiB"];
    add(
      `8 MiB result under 2x direct stdio (${kind})`,
      find("ours stream", kind)?.large["8MiB"],
      direct === undefined ? Number.NaN : 2 * direct,
      false,
      "ms",
    );
  }
  return checks;
}
