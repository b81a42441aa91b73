// Processes under test: spawning a proxy and finding its URL, reading its memory
// (VmRSS from /proc, alone and with its descendants), and stopping it cleanly.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { sleep } from "./stats.js";

/** A spawned server process and what it printed on stderr. */
export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  /** `process.hrtime.bigint()` just before spawn. */
  spawnedAt: bigint;
  stderr(): string;
  /** The last report of the preloaded GC hook (gc-on-signal.ts), if any. */
  lastMemoryReport(): MemoryReport | undefined;
  stop(): Promise<void>;
}

/** What the GC hook reports after a full GC, in bytes. */
export interface MemoryReport {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

const MEMORY_MARK = "[bench-memory] ";

export interface SpawnServerOptions {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Process groups of servers still running: killed if the bench itself ends early. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killLiveGroupsOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Ctrl-C or a kill must run the hook too (a signal's default action skips "exit").
  process.once("SIGINT", () => process.exit(130));
  process.once("SIGTERM", () => process.exit(143));
  process.once("exit", () => {
    for (const pid of liveGroups) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

export function spawnServer(options: SpawnServerOptions): ServerProcess {
  const spawnedAt = process.hrtime.bigint();
  // Its own process group, so that a crash of the bench takes the server's children too
  // (a reference proxy may run its server through a shell).
  const child = spawn(options.command, options.args, {
    stdio: ["ignore", "ignore", "pipe"],
    env: options.env ?? process.env,
    detached: true,
  });
  killLiveGroupsOnExit();
  if (child.pid !== undefined) {
    const pid = child.pid;
    liveGroups.add(pid);
    child.once("exit", () => liveGroups.delete(pid));
  }
  let text = "";
  let memory: MemoryReport | undefined;
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    // Keep only the start: startup lines are all we parse, and logs must not grow unbounded.
    if (text.length < 64 * 1024) text += chunk;
    const at = chunk.lastIndexOf(MEMORY_MARK);
    if (at !== -1) {
      const line = chunk.slice(at + MEMORY_MARK.length).split("\n")[0]!;
      memory = JSON.parse(line) as MemoryReport;
    }
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${options.command}`);
  return {
    child,
    pid: child.pid,
    spawnedAt,
    stderr: () => text,
    lastMemoryReport: () => memory,
    stop: () => stopProcess(child),
  };
}

/** SIGINT, then SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Waits until stderr contains a line matching `pattern`; returns its first group. */
export async function waitForStderr(
  server: ServerProcess,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(server.stderr());
    if (match) return match[1] ?? match[0];
    if (server.child.exitCode !== null) {
      throw new Error(`server exited (${server.child.exitCode}): ${server.stderr().slice(-500)}`);
    }
    if (Date.now() > deadline) throw new Error(`no startup line within ${timeoutMs} ms`);
    await sleep(2);
  }
}

/** Waits until something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not open within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** A free TCP port on 127.0.0.1 (for servers that cannot be told to pick one). */
export { freePort } from "@mcp-proxy/test-utils";

/** Resident memory of one process in bytes (VmRSS), 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Every descendant pid of `pid` (children, grandchildren, …) via /proc/<pid>/task/<tid>/children. */
export function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const child of childrenOf(current)) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function childrenOf(pid: number): number[] {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    const pids: number[] = [];
    for (const tid of tasks) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text) for (const p of text.split(/\s+/)) pids.push(Number(p));
    }
    return pids;
  } catch {
    return [];
  }
}

/** RSS of the process alone, and of it with all its descendants, in bytes. */
export interface RssSample {
  proxy: number;
  total: number;
  processes: number;
}

/**
 * Asks the process for a full GC (it must have the GC hook preloaded; see
 * gc-on-signal.ts), waits for it to settle, then samples.
 */
export async function sampleRssAfterGc(pid: number, settleMs: number): Promise<RssSample> {
  try {
    process.kill(pid, "SIGUSR2");
  } catch {
    // Gone already: the sample says 0.
  }
  await sleep(settleMs);
  return sampleRss(pid);
}

export function sampleRss(pid: number): RssSample {
  const descendants = descendantsOf(pid);
  const proxy = rssOf(pid);
  let total = proxy;
  for (const child of descendants) total += rssOf(child);
  return { proxy, total, processes: 1 + descendants.length };
}
