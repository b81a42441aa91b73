// A real HAProxy load balancer in front of test backends (cluster tests, the bench):
// `haproxy -db` in the foreground on free 127.0.0.1 ports, its config and admin socket in
// a temp dir, states and counts read from the stats CSV, spare slots enabled at run time.
import { type ChildProcess, spawn } from "node:child_process";
import { lookup } from "node:dns/promises";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { connect, isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findProgram, freePort } from "./system.js";

/** Default path HAProxy's health checks ask for. */
export const DEFAULT_HAPROXY_HEALTH_PATH = "/health";
/** Default interval between two health checks of one server, ms. */
export const DEFAULT_HAPROXY_CHECK_INTERVAL_MS = 200;
/** Default number of disabled server slots that `enableServer` can fill. */
export const DEFAULT_HAPROXY_SPARE_SLOTS = 4;
/** Default bound on HAProxy's start (process spawned to frontend and stats page answering). */
export const DEFAULT_HAPROXY_START_TIMEOUT_MS = 10_000;

const BACKEND = "be";
const SPARE_PREFIX = "spare-slot-";
// HAProxy's own rule for proxy and server names.
const SERVER_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
// A port taken between freePort() and HAProxy's bind: start again on new ports, this often.
const BIND_ATTEMPTS = 3;
const STOP_GRACE_MS = 5000;
const OUTPUT_LIMIT = 16 * 1024;

/** One server of the balanced backend. */
export interface HaproxyBackend {
  /** The server's name in HAProxy (letters, digits, `_.:-`); keys of `serverStates()`. */
  name: string;
  /** Its base URL, `http://127.0.0.1:PORT` (plain HTTP; a path is ignored). */
  url: string;
}

export interface StartHaproxyOptions {
  /** The servers balanced round robin, in this order. */
  backends: HaproxyBackend[];
  /**
   * What the health check asks for, in HAProxy's default form: `GET <path> HTTP/1.0` with no
   * Host header (on purpose: the proxy must answer it whatever the Host). Default `/health`.
   */
  healthPath?: string;
  /** Interval between two checks of a server (`check inter`), ms; 2 failures take it DOWN, 1 success UP. Default 200. */
  checkIntervalMs?: number;
  /** Disabled server slots for `enableServer` ("a replica joins"). Default 4. */
  spareSlots?: number;
  /** Bound on the start, ms. Default 10 s. */
  startTimeoutMs?: number;
}

/**
 * A server's status as the stats CSV spells it. Transitions show as `UP 1/2` (one failed
 * check of the two that take it DOWN) and never equal a settled state.
 */
export type HaproxyServerStatus = "UP" | "DOWN" | "MAINT" | "DRAIN" | (string & {});

/** The administrative states of `set server <backend>/<server> state`. */
export type HaproxyAdminState = "ready" | "drain" | "maint";

export interface TestHaproxy {
  /** The frontend's base URL, `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  port: number;
  pid: number;
  /** The stats page; `${statsUrl};csv` is the CSV. */
  statsUrl: string;
  /** Server name → status (`UP`, `DOWN`, `MAINT`, `UP 1/2`, …); spare slots not yet enabled are left out. */
  serverStates(): Promise<Record<string, HaproxyServerStatus>>;
  /** Server name → HTTP requests it was sent (`req_tot`; sessions, `stot`, where that is empty). Health checks not counted. */
  requestCounts(): Promise<Record<string, number>>;
  /** Resolves once every named server has exactly that status; throws with the last states after `timeoutMs`. */
  waitUntil(
    states: Record<string, "UP" | "DOWN" | "MAINT" | "DRAIN">,
    timeoutMs?: number,
  ): Promise<void>;
  /**
   * Puts a new server into rotation under `name`: fills a spare slot with the URL's address and
   * port and sets it ready (it is checked like the others; wait for `UP` with `waitUntil`).
   */
  enableServer(name: string, url: string): Promise<void>;
  /** `set server be/<name> state ready|drain|maint` through the admin socket. */
  setServerState(name: string, state: HaproxyAdminState): Promise<void>;
  /** SIGTERM (SIGKILL after 5 s), waits for the exit, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Starts HAProxy balancing `options.backends`; resolves once its frontend and stats page answer. */
export async function startHaproxy(options: StartHaproxyOptions): Promise<TestHaproxy> {
  const binary = findProgram(
    "haproxy",
    "haproxy not found on PATH nor in /usr/sbin: install Debian's haproxy package (apt-get install haproxy)",
  );
  const backends = options.backends.map((b) => ({ name: b.name, ...hostPort(b.url) }));
  const spareSlots = options.spareSlots ?? DEFAULT_HAPROXY_SPARE_SLOTS;
  const names = new Set<string>();
  for (const { name } of backends) {
    if (!SERVER_NAME.test(name) || name.startsWith(SPARE_PREFIX) || names.has(name))
      throw new Error(`startHaproxy: bad or duplicate server name "${name}"`);
    names.add(name);
  }
  const healthPath = options.healthPath ?? DEFAULT_HAPROXY_HEALTH_PATH;
  if (!/^\/\S*$/.test(healthPath)) throw new Error(`startHaproxy: bad healthPath "${healthPath}"`);
  const config = {
    backends,
    spareSlots,
    healthPath,
    checkIntervalMs: options.checkIntervalMs ?? DEFAULT_HAPROXY_CHECK_INTERVAL_MS,
  };
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_HAPROXY_START_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "mcp-proxy-haproxy-"));
    const started = await launch(binary, dir, config, timeoutMs).catch((error: unknown) => {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    });
    if (started.ok) return started.haproxy;
    rmSync(dir, { recursive: true, force: true });
    if (!started.bindFailed || attempt >= BIND_ATTEMPTS) throw new Error(started.reason);
  }
}

interface HaproxyConfig {
  backends: { name: string; host: string; port: number }[];
  spareSlots: number;
  healthPath: string;
  checkIntervalMs: number;
}

type Launched =
  | { ok: true; haproxy: TestHaproxy }
  | { ok: false; bindFailed: boolean; reason: string };

/** Processes still running: killed if the test process ends without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

async function launch(
  binary: string,
  dir: string,
  config: HaproxyConfig,
  timeoutMs: number,
): Promise<Launched> {
  const port = await freePort();
  const statsPort = await freePort();
  const socketPath = join(dir, "admin.sock");
  const configPath = join(dir, "haproxy.cfg");
  writeFileSync(configPath, configText(config, port, statsPort, socketPath));

  const child = spawn(binary, ["-db", "-f", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => {
    if (output.length < OUTPUT_LIMIT) output += chunk.toString("utf8");
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }

  const url = `http://127.0.0.1:${port}`;
  const statsUrl = `http://127.0.0.1:${statsPort}/stats`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) {
      return {
        ok: false,
        bindFailed: false,
        reason: `could not run ${binary}: ${spawnError.message}`,
      };
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      await exited;
      return {
        ok: false,
        bindFailed: /cannot bind|address already in use/i.test(output),
        reason: `haproxy exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output.trim()}`,
      };
    }
    if ((await accepts(port)) && (await answers(`${statsUrl};csv`))) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await exited;
      return {
        ok: false,
        bindFailed: false,
        reason: `haproxy did not answer on ${url} and ${statsUrl} within ${timeoutMs} ms:\n${output.trim()}`,
      };
    }
    await sleep(20);
  }

  const admin = (command: string) => adminCommand(socketPath, command);
  // Spare slot → the name enableServer gave it.
  const enabled = new Map<string, string>();
  const slotOf = (name: string) => {
    for (const [slot, given] of enabled) if (given === name) return slot;
    if (config.backends.some((b) => b.name === name)) return name;
    throw new Error(`haproxy: no server named "${name}"`);
  };
  const stats = async () => {
    const rows = parseCsv(await admin("show stat"));
    return rows
      .filter((r) => r.pxname === BACKEND && r.svname !== "BACKEND" && r.svname !== "FRONTEND")
      .flatMap((r) => {
        const slot = r.svname ?? "";
        const name = slot.startsWith(SPARE_PREFIX) ? enabled.get(slot) : slot;
        return name === undefined ? [] : [{ name, row: r }];
      });
  };
  const serverStates = async () =>
    Object.fromEntries((await stats()).map(({ name, row }) => [name, row.status ?? ""]));

  let stopping: Promise<void> | undefined;
  const haproxy: TestHaproxy = {
    url,
    port,
    pid: child.pid!,
    statsUrl,
    serverStates,
    async requestCounts() {
      return Object.fromEntries(
        (await stats()).map(({ name, row }) => [name, Number(row.req_tot || row.stot || 0)]),
      );
    },
    async waitUntil(states, waitMs = 10_000) {
      const until = Date.now() + waitMs;
      for (;;) {
        const now = await serverStates();
        if (Object.entries(states).every(([name, status]) => now[name] === status)) return;
        if (Date.now() > until) {
          throw new Error(
            `haproxy: servers not ${JSON.stringify(states)} within ${waitMs} ms; now ${JSON.stringify(now)}`,
          );
        }
        await sleep(Math.min(25, config.checkIntervalMs));
      }
    },
    async enableServer(name, serverUrl) {
      if (!SERVER_NAME.test(name)) throw new Error(`haproxy: bad server name "${name}"`);
      if (config.backends.some((b) => b.name === name) || [...enabled.values()].includes(name))
        throw new Error(`haproxy: a server named "${name}" exists already`);
      const slot = Array.from({ length: config.spareSlots }, (_, i) => spareName(i)).find(
        (s) => !enabled.has(s),
      );
      if (!slot)
        throw new Error(`haproxy: all ${config.spareSlots} spare slots are in use (spareSlots)`);
      const { host, port: serverPort } = hostPort(serverUrl);
      const address = isIP(host) ? host : (await lookup(host, { family: 4 })).address;
      expectQuiet(
        await admin(`set server ${BACKEND}/${slot} addr ${address} port ${serverPort}`),
        /changed|no need to change/i,
      );
      expectQuiet(await admin(`set server ${BACKEND}/${slot} state ready`));
      enabled.set(slot, name);
    },
    async setServerState(name, state) {
      expectQuiet(await admin(`set server ${BACKEND}/${slotOf(name)} state ${state}`));
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          // -db keeps HAProxy in the foreground; SIGTERM is its immediate stop (SIGUSR1 would
          // wait for open connections, an SSE stream's included).
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  return { ok: true, haproxy };
}

function spareName(index: number): string {
  return `${SPARE_PREFIX}${index + 1}`;
}

function configText(
  config: HaproxyConfig,
  port: number,
  statsPort: number,
  socket: string,
): string {
  const servers = [
    ...config.backends.map((b) => `  server ${b.name} ${b.host}:${b.port}`),
    // Disabled (MAINT) until enableServer gives one an address; port 1 is never dialled.
    ...Array.from(
      { length: config.spareSlots },
      (_, i) => `  server ${spareName(i)} 127.0.0.1:1 disabled`,
    ),
  ];
  return `${[
    "global",
    `  stats socket ${socket} mode 600 level admin`,
    // Without it HAProxy sizes itself from the fd limit, which can be huge in containers.
    "  maxconn 4096",
    "",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    // Generous: SSE streams stay open and quiet for long stretches.
    "  timeout client 1h",
    "  timeout server 1h",
    // A check's read timeout; without it a check slower than `inter` fails (a loaded machine).
    "  timeout check 2s",
    "  retries 2",
    "  option redispatch",
    "",
    "frontend fe",
    `  bind 127.0.0.1:${port}`,
    `  default_backend ${BACKEND}`,
    "",
    `backend ${BACKEND}`,
    "  balance roundrobin",
    // The default form on purpose: HTTP/1.0 and no Host header.
    `  option httpchk GET ${config.healthPath}`,
    `  default-server check inter ${config.checkIntervalMs} fall 2 rise 1`,
    ...servers,
    "",
    "listen stats",
    `  bind 127.0.0.1:${statsPort}`,
    "  stats enable",
    "  stats uri /stats",
  ].join("\n")}\n`;
}

function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:") throw new Error(`haproxy backend ${url}: only http:// URLs`);
  const port = Number(parsed.port || 80);
  // URL keeps IPv6 hosts in brackets; HAProxy's server line wants them bare ("ipv6@" aside).
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port };
}

/** A command on the admin socket; resolves with HAProxy's whole answer. */
function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let text = "";
    socket.setEncoding("utf8");
    socket.setTimeout(5000, () =>
      socket.destroy(new Error(`haproxy admin: "${command}" timed out`)),
    );
    socket.on("data", (chunk: string) => {
      text += chunk;
    });
    socket.once("error", reject);
    socket.once("close", () => resolve(text));
    socket.end(`${command}\n`);
  });
}

/** Commands that succeed answer nothing (or, for `addr`, a "changed" line); anything else is the error. */
function expectQuiet(answer: string, allowed?: RegExp): void {
  const text = answer.trim();
  if (text === "" || allowed?.test(text)) return;
  throw new Error(`haproxy admin: ${text}`);
}

/** `show stat`'s CSV (header line `# pxname,svname,…`) as one record per row. */
function parseCsv(text: string): Record<string, string>[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const header = lines[0]?.replace(/^# /, "").split(",") ?? [];
  return lines.slice(1).map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(header.map((key, i) => [key, cells[i] ?? ""]));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** True when `url` answers 200 (a fresh connection each time: nothing left open to HAProxy). */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(url, { agent: false, timeout: 1000 }, (response) => {
      response.resume();
      response.once("end", () => resolve(response.statusCode === 200));
      response.once("error", () => resolve(false));
    });
    request.once("timeout", () => request.destroy());
    request.once("error", () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
