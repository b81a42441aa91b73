// Output: the tables on stdout and the whole run as JSON in bench-results/.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { GoalCheck } from "./goals.js";
import type { BenchPlan } from "./plan.js";
import type { TargetResult } from "./scenarios/run-target.js";
import { round } from "./stats.js";

export interface BenchReport {
  date: string;
  plan: BenchPlan;
  machine: {
    cpus: number;
    model: string;
    memoryGiB: number;
    node: string;
    platform: string;
    /** One-minute load average before and after the run (other work on the machine). */
    loadBefore: number;
    loadAfter: number;
  };
  commit?: string;
  notes: string[];
  results: TargetResult[];
  goals: GoalCheck[];
  durationSeconds: number;
}

type Cell = string | number | undefined;

/** A plain aligned text table (first column left, the rest right). */
export function table(header: string[], rows: Cell[][]): string {
  const text = [header, ...rows].map((row) => row.map((c) => (c === undefined ? "-" : String(c))));
  const widths = header.map((_, i) => Math.max(...text.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) =>
    row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [
    line(text[0]!),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...text.slice(1).map(line),
  ].join("\n");
}

export function formatReport(report: BenchReport): string {
  const { plan } = report;
  const levels = plan.sessionLevels;
  const sizes = plan.largeResults.map((l) => l.label);
  const header = [
    "target",
    "client",
    "p50 ms",
    "p99 ms",
    ...levels.map((l) => `c/s@${l}`),
    ...sizes.map((s) => `${s} ms`),
    "start ms",
    "idle MiB",
    `@${plan.openSessions} sess MiB`,
    "MiB/sess",
    "live KiB/sess",
  ];
  const rows: Cell[][] = [];
  for (const r of report.results) {
    if (r.error && r.clients.length === 0) {
      rows.push([r.target, `error: ${r.error}`]);
      continue;
    }
    for (const c of r.clients) {
      const mem = c.memory;
      rows.push([
        r.target,
        c.error ? `${c.client} (error: ${c.error.slice(0, 60)})` : c.client,
        c.latency?.p50,
        c.latency?.p99,
        ...levels.map((l) => c.throughput[String(l)]),
        ...sizes.map((s) => c.large[s]),
        c.client === "lean" ? r.startupMs : undefined,
        c.client === "lean" && r.idle ? `${r.idle.proxyMiB}/${r.idle.totalMiB}` : undefined,
        mem ? `${mem.open.proxyMiB}/${mem.open.totalMiB}` : undefined,
        mem ? `${mem.perSessionProxyMiB}/${mem.perSessionTotalMiB}` : undefined,
        mem?.perSessionLiveKiB,
      ]);
    }
  }
  const out = [
    `mcp-proxy bench (${plan.name}) ${report.date}: ${report.machine.cpus} cores (${report.machine.model}), ` +
      `${report.machine.memoryGiB} GiB, node ${report.machine.node}, load ${report.machine.loadBefore}→${report.machine.loadAfter}${report.commit ? `, ${report.commit.slice(0, 10)}` : ""}`,
    "",
    table(header, rows),
    "MiB columns: proxy process alone / with its children (VmRSS after a full GC in the proxy); " +
      "MiB/sess: RSS slope from 10% to 100% of the open sessions; live KiB/sess: the same for " +
      "V8 heap used + external. c/s: calls per second.",
  ];
  const churn = report.results.filter((r) => r.churn);
  if (churn.length > 0) {
    out.push(
      "",
      table(
        [
          "churn",
          "",
          "sessions",
          "seconds",
          "before MiB",
          "after MiB",
          "procs before",
          "procs after",
        ],
        churn.map((r) => [
          r.target,
          "lean",
          `${r.churn!.sessions}/${r.churn!.asked}`,
          r.churn!.seconds,
          r.churn!.beforeMiB,
          r.churn!.afterMiB,
          r.churn!.processesBefore,
          r.churn!.processesAfter,
        ]),
      ),
    );
  }
  const ratios = ratioRows(report.results, levels);
  if (ratios.length > 0) {
    out.push(
      "",
      table(
        ["ours vs reference", "client", "p50 ×faster", ...levels.map((l) => `c/s@${l} ×`)],
        ratios,
      ),
    );
  }
  out.push(
    "",
    table(
      ["goal", "", "measured", "met"],
      report.goals.map((g) => [
        g.goal,
        "",
        g.measured,
        g.met === undefined ? "?" : g.met ? "yes" : "NO",
      ]),
    ),
  );
  for (const note of report.notes) out.push(`note: ${note}`);
  out.push(`(${report.durationSeconds} s)`);
  return out.join("\n");
}

/** ours/reference for each reference target, matched by transport and client. */
function ratioRows(results: readonly TargetResult[], levels: number[]): Cell[][] {
  const rows: Cell[][] = [];
  for (const ref of results.filter(
    (r) => r.system === "mcp-proxy" || r.system === "supergateway",
  )) {
    const ours = results.find((r) => r.system === "ours" && r.transport === ref.transport);
    if (!ours) continue;
    for (const refClient of ref.clients) {
      const our = ours.clients.find((c) => c.client === refClient.client);
      if (!our) continue;
      const p50 = ratio(refClient.latency?.p50, our.latency?.p50);
      rows.push([
        `${ours.target} / ${ref.target}`,
        refClient.client,
        p50,
        ...levels.map((l) => ratio(our.throughput[String(l)], refClient.throughput[String(l)])),
      ]);
    }
  }
  return rows;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : round(a / b, 2);
}

export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
