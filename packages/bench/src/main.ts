// `pnpm bench [--quick] [--only a,b] [--out file.json]`: runs every target through every
// scenario, prints the tables and writes the JSON report to bench-results/.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { oursCluster } from "./cluster-target.js";
import { checkGoals } from "./goals.js";
import { CLI_BIN, cliHelp, findInstalled, REPO_ROOT } from "./paths.js";
import { FULL_PLAN, QUICK_PLAN } from "./plan.js";
import { type BenchReport, formatReport, writeReport } from "./report.js";
import { runTarget, type TargetResult } from "./scenarios/run-target.js";
import { round } from "./stats.js";
import {
  directStdio,
  nullHttp,
  oursChain,
  oursHttp,
  referenceMcpProxy,
  referenceSupergateway,
  type Target,
} from "./targets.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string" },
  },
});

const t0 = Date.now();
const log = (line: string) =>
  process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s ${line}\n`);

if (!existsSync(CLI_BIN)) {
  log(`pnpm bench: ${CLI_BIN} is missing; run \`pnpm build\` first.`);
  process.exit(1);
}

const plan = values.quick ? QUICK_PLAN : FULL_PLAN;
const notes: string[] = [];
const targets: Target[] = [
  directStdio(),
  nullHttp(),
  oursHttp("stream"),
  oursHttp("stateless"),
  oursHttp("sse"),
  oursChain(),
];
const help = cliHelp();
if (/--shared\b/.test(help)) targets.push(oursHttp("shared"));
else notes.push("the CLI has no --shared flag yet: no shared-upstream target");
// Redis, HAProxy and up to three replicas do not fit the quick budget: --quick runs them
// only when --only names them.
if (!/--cluster\b/.test(help)) {
  notes.push("the CLI has no --cluster flag yet: no cluster targets");
} else if (values.quick && !values.only) {
  notes.push("cluster targets left out of --quick (run them with --only cluster)");
} else {
  targets.push(oursCluster(1), oursCluster(3));
}

const reference = findInstalled("mcp-proxy");
if (reference) {
  for (const t of ["stream", "stateless", "sse"] as const)
    targets.push(referenceMcpProxy(reference, t));
} else {
  notes.push("reference mcp-proxy not installed (node_modules up the tree, npm root -g): skipped");
}
const supergateway = findInstalled("supergateway");
if (supergateway) {
  for (const t of ["stream", "stateless", "sse"] as const)
    targets.push(referenceSupergateway(supergateway, t));
} else {
  notes.push("supergateway not installed: skipped");
}

const only = values.only?.split(",").map((s) => s.trim().toLowerCase());
const selected = only
  ? targets.filter((t) => only.some((o) => t.name.toLowerCase().includes(o)))
  : targets;

const loadBefore = loadavg()[0]!;
if (loadBefore > cpus().length / 2) {
  notes.push(
    `the machine was busy when the run started (load ${round(loadBefore, 1)} on ${cpus().length} cores): figures are noisy`,
  );
}
const started = Date.now();
const results: TargetResult[] = [];
for (const target of selected) {
  log(`${target.name}`);
  results.push(await runTarget(target, plan, log));
}

const date = new Date().toISOString();
const report: BenchReport = {
  date,
  plan,
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? "?",
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadBefore: round(loadBefore, 2),
    loadAfter: round(loadavg()[0]!, 2),
  },
  ...gitCommit(),
  notes,
  results,
  goals: checkGoals(results),
  durationSeconds: round((Date.now() - started) / 1000, 1),
};
const out =
  values.out ??
  join(REPO_ROOT, "bench-results", `bench-${plan.name}-${date.replace(/[:.]/g, "-")}.json`);
writeReport(out, report);
process.stdout.write(`${formatReport(report)}\nJSON: ${out}\n`);

function gitCommit(): { commit?: string } {
  try {
    return {
      commit: execFileSync("git", ["rev-parse", "HEAD"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
      }).trim(),
    };
  } catch {
    return {};
  }
}
