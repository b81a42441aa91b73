// Aggregates a V8 .cpuprofile (from `node --cpu-prof`) by self time: per function
// (name + source location, mapped back to TypeScript where a source map exists) and
// per module group (our packages, the SDK, node internals, GC, idle).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { originalPosition } from "./source-map.js";
import { round } from "./stats.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  where: string;
  group: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Wall time the process was idle: what is left is the proxy's CPU time. */
  idleMs: number;
  functions: HotSpot[];
  groups: { group: string; selfMs: number; percent: number }[];
}

export function summariseProfile(path: string, repoRoot: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i + 1] is the time spent until the next sample: attribute it to sample i.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const functions = new Map<string, HotSpot>();
  const groups = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    totalUs += us;
    if (frame.functionName === "(idle)") idleUs += us;
    const { where, group } = locate(frame, repoRoot);
    const name = frame.functionName || "(anonymous)";
    const key = `${name} ${where}`;
    const spot = functions.get(key) ?? { name, where, group, selfMs: 0, percent: 0 };
    spot.selfMs += us / 1000;
    functions.set(key, spot);
    groups.set(group, (groups.get(group) ?? 0) + us);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const sortedFunctions = [...functions.values()]
    .filter((f) => f.name !== "(idle)")
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top)
    .map((f) => ({
      ...f,
      selfMs: round(f.selfMs, 1),
      percent: round((f.selfMs * 1000 * 100) / busyUs, 1),
    }));
  return {
    totalMs: round(totalUs / 1000, 0),
    idleMs: round(idleUs / 1000, 0),
    functions: sortedFunctions,
    groups: [...groups.entries()]
      .filter(([group]) => group !== "(idle)")
      .sort((a, b) => b[1] - a[1])
      .map(([group, us]) => ({
        group,
        selfMs: round(us / 1000, 0),
        percent: round((us * 100) / busyUs, 1),
      })),
  };
}

function locate(
  frame: ProfileNode["callFrame"],
  repoRoot: string,
): { where: string; group: string } {
  const { url } = frame;
  if (!url)
    return {
      where: "",
      group: frame.functionName.startsWith("(") ? frame.functionName : "(native)",
    };
  if (url.startsWith("node:"))
    return { where: `${url}:${frame.lineNumber + 1}`, group: "node internals" };
  const file = url.startsWith("file://") ? fileURLToPath(url) : url;
  const mapped = originalPosition(file, frame.lineNumber, frame.columnNumber);
  const shown = mapped ?? { file, line: frame.lineNumber + 1 };
  const where = `${shorten(shown.file, repoRoot)}:${shown.line}`;
  return { where, group: groupOf(file, repoRoot) };
}

function shorten(file: string, repoRoot: string): string {
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/(.*)$/.exec(file);
  if (pnpm) return pnpm[1]!;
  return file.startsWith(repoRoot) ? file.slice(repoRoot.length + 1) : file;
}

function groupOf(file: string, repoRoot: string): string {
  const ours = /packages\/([^/]+)\/dist\//.exec(file);
  if (ours && file.startsWith(repoRoot)) return `@mcp-proxy/${ours[1]}`;
  const dep = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(file);
  return dep ? dep[1]! : "other";
}
