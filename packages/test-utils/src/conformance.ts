// Runs the official MCP conformance suite (@modelcontextprotocol/conformance) as a
// child process against a live URL and reads its per-scenario checks.json files.
// The suite's CLI needs Node 22 (fs.globSync); the `node@22` devDependency
// provides that binary, so tests on Node 20 can still run it.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";

/** The spec revisions the suite has frozen requirement sets for. */
export type ConformanceRevision = "2025-11-25" | "2026-07-28";

/** Default bound on a whole run (all scenarios of a requirement set). */
export const DEFAULT_CONFORMANCE_TIMEOUT_MS = 180_000;
/** Default per-scenario timeout handed to the suite (its own default is 30 s). */
export const DEFAULT_CONFORMANCE_SCENARIO_TIMEOUT_MS = 20_000;

export interface RunConformanceOptions {
  /** The MCP endpoint under test, e.g. `http://127.0.0.1:8080/mcp`. Loopback for dns-rebinding-protection. */
  url: string;
  /** Requirement set (and wire era) to run: `--requirements <revision>`. */
  requirements: ConformanceRevision;
  /** Run only this scenario, at the revision's wire (`--scenario <s> --spec-version <revision>`). */
  scenario?: string;
  /** Kill the suite after this long; scenarios without results are reported as failed. */
  timeoutMs?: number;
  /** Per-scenario timeout passed to the suite (`--timeout`). */
  scenarioTimeoutMs?: number;
}

/** One check as the suite writes it to checks.json. */
export interface ConformanceCheck {
  id: string;
  name?: string;
  description?: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "SKIPPED" | "INFO";
  errorMessage?: string;
  details?: unknown;
}

export interface ConformanceFailure {
  scenario: string;
  /** The failing checks, one per line: `<check id>: <error message>`. */
  detail: string;
}

export interface ConformanceResult {
  /** Scenarios whose checks contain no FAILURE. */
  passed: string[];
  /** Scenarios with at least one FAILURE check, or that produced no results. */
  failed: ConformanceFailure[];
  /** Scenarios the requirement set runs but does not score (pending, extension, added-after-release). */
  notScored: string[];
  /** Every scenario's checks, by scenario name. */
  checks: Record<string, ConformanceCheck[]>;
  /** The suite's exit code (null when killed). */
  exitCode: number | null;
  /** True when `timeoutMs` ran out and the suite was killed. */
  timedOut: boolean;
  /** The suite's stdout and stderr, interleaved as received. */
  raw: string;
}

const require = createRequire(import.meta.url);
// The suite colours its output whatever NO_COLOR says; raw is for reading.
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Directory of the installed conformance package. */
function conformancePackageDir(): string {
  return dirname(require.resolve("@modelcontextprotocol/conformance/package.json"));
}

/** Path of the conformance CLI script. */
export function conformanceCliPath(): string {
  return join(conformancePackageDir(), "dist", "index.js");
}

/** A Node >= 22 binary: this process if it is one, else the `node@22` package's binary. */
export function node22Path(): string {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22) return process.execPath;
  const bin = join(dirname(require.resolve("node/package.json")), "bin", "node");
  if (!existsSync(bin))
    throw new Error(`Node 22 binary not found at ${bin} (is the node@22 devDependency installed?)`);
  return bin;
}

/** The server scenarios a revision's requirement set scores, and those it runs without scoring. */
export async function conformanceRequirements(
  revision: ConformanceRevision,
): Promise<{ required: string[]; notScored: string[] }> {
  const text = await readFile(
    join(conformancePackageDir(), "requirements", `${revision}.yaml`),
    "utf8",
  );
  return parseRequirements(text);
}

// The requirement files are plain YAML lists; a line parser keeps test-utils free
// of a YAML dependency. Only the server leg matters here.
function parseRequirements(text: string): { required: string[]; notScored: string[] } {
  const required: string[] = [];
  const notScored: string[] = [];
  let section = "";
  let pending: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^\S/.test(line)) {
      section = line.replace(/:.*$/, "").trim();
      continue;
    }
    const item = /^ {2}- (.+)$/.exec(line);
    if (section === "server" && item?.[1]) required.push(item[1].trim());
    if (section !== "not_scored") continue;
    const scenario = /^ {2}- scenario: (.+)$/.exec(line);
    if (scenario?.[1]) pending = scenario[1].trim();
    const leg = /^ {4}leg: (\S+)/.exec(line);
    if (leg && pending) {
      if (leg[1] === "server") notScored.push(pending);
      pending = undefined;
    }
  }
  return { required, notScored };
}

// Result directories are named `server-<scenario>-<ISO time with - for : and .>`.
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

async function collectChecks(root: string): Promise<Record<string, ConformanceCheck[]>> {
  const out: Record<string, ConformanceCheck[]> = {};
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile() || entry.name !== "checks.json") continue;
    const dir = relative(root, entry.parentPath).split(sep).join("/");
    const match = RESULT_DIR.exec(dir);
    const scenario = match?.[1];
    if (!scenario) continue;
    try {
      out[scenario] = JSON.parse(
        await readFile(join(entry.parentPath, entry.name), "utf8"),
      ) as ConformanceCheck[];
    } catch {
      out[scenario] = [
        {
          id: "unreadable-checks",
          status: "FAILURE",
          errorMessage: "checks.json could not be parsed",
        },
      ];
    }
  }
  return out;
}

function describeFailures(checks: ConformanceCheck[]): string {
  return checks
    .filter((check) => check.status === "FAILURE")
    .map((check) => `${check.id}: ${check.errorMessage ?? check.description ?? "failed"}`)
    .join("\n");
}

/**
 * Runs the conformance suite's server scenarios against `url`, bounded by
 * `timeoutMs`, and sorts scenarios into passed and failed from its checks.json
 * files (a scenario fails if any check has status FAILURE).
 */
export async function runConformance(options: RunConformanceOptions): Promise<ConformanceResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONFORMANCE_TIMEOUT_MS;
  const scenarioTimeoutMs = options.scenarioTimeoutMs ?? DEFAULT_CONFORMANCE_SCENARIO_TIMEOUT_MS;
  const { required, notScored } = await conformanceRequirements(options.requirements);
  const expected = options.scenario ? [options.scenario] : [...required, ...notScored];

  const outDir = await mkdtemp(join(tmpdir(), "mcp-conformance-"));
  const args = [
    conformanceCliPath(),
    "server",
    "--url",
    options.url,
    "-o",
    outDir,
    "--timeout",
    String(scenarioTimeoutMs),
  ];
  if (options.scenario)
    args.push("--scenario", options.scenario, "--spec-version", options.requirements);
  else args.push("--requirements", options.requirements);

  let raw = "";
  let timedOut = false;
  try {
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      // cwd is the scratch directory so the suite never writes into the caller's tree.
      const child = spawn(node22Path(), args, {
        cwd: outDir,
        env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const append = (chunk: Buffer) => {
        raw += chunk.toString("utf8");
      };
      child.stdout.on("data", append);
      child.stderr.on("data", append);
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, timeoutMs);
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });

    const checks = await collectChecks(outDir);
    const passed: string[] = [];
    const failed: ConformanceFailure[] = [];
    const seen = new Set<string>();
    for (const scenario of [...expected, ...Object.keys(checks)]) {
      if (seen.has(scenario)) continue;
      seen.add(scenario);
      const list = checks[scenario];
      if (!list) {
        failed.push({
          scenario,
          detail: timedOut ? "not run: the suite timed out" : "no results written",
        });
      } else if (list.some((check) => check.status === "FAILURE")) {
        failed.push({ scenario, detail: describeFailures(list) });
      } else {
        passed.push(scenario);
      }
    }
    return {
      passed,
      failed,
      notScored: options.scenario ? notScored.filter((s) => s === options.scenario) : notScored,
      checks,
      exitCode,
      timedOut,
      raw: raw.replace(ANSI_COLOUR, ""),
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** How many more times `failingAgain` runs a failed scenario. */
export const CONFORMANCE_RETRIES = 2;

/**
 * Runs each of `scenarios` again on its own, up to CONFORMANCE_RETRIES times, and returns
 * those that fail every time. Some scenarios give a stream 600 ms to show its first frame;
 * behind a proxy chain the first interactive request of a client capability profile starts a
 * child at each hop (a Node process each), which a loaded 2-core machine can take longer than
 * that to do, and a scenario that runs several such calls can meet a cold child more than
 * once. A later try, with the children running, tells that from a real failure.
 */
export async function failingAgain(
  options: Omit<RunConformanceOptions, "scenario">,
  scenarios: readonly string[],
): Promise<string[]> {
  const still: string[] = [];
  for (const scenario of scenarios) {
    let passed = false;
    for (let attempt = 0; attempt < CONFORMANCE_RETRIES && !passed; attempt++) {
      const again = await runConformance({ timeoutMs: 30_000, ...options, scenario });
      passed = again.failed.length === 0 && again.passed.includes(scenario);
    }
    if (!passed) still.push(scenario);
  }
  return still;
}
