// A throwaway redis-server per test file: on a free loopback port, with no
// persistence, ready when it says so on stdout (never after a fixed delay) and
// stopped with SIGTERM, then SIGKILL if it lingers.
import { type ChildProcess, spawn } from "node:child_process";
import { findProgram, freePort } from "./system.js";

export interface TestRedis {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  pid: number;
  /** Stops the server (SIGTERM, SIGKILL after a bound) and waits for it to exit; idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Listen on this port (to restart a stopped server where its clients reconnect). Default: a free one. */
  port?: number;
  /** How long to wait for "Ready to accept connections". Default 10 s. */
  timeoutMs?: number;
}

const READY_LINE = "Ready to accept connections";
const INSTALL_HINT = "install Debian's redis-server package (apt-get install -y redis-server)";
const DEFAULT_READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
/** A free port can be taken by someone else before redis binds it: try a fresh one. */
const BIND_ATTEMPTS = 3;
/** What is kept of the server's output for error messages. */
const MAX_OUTPUT = 8_192;

/** Every server still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** The redis-server executable on PATH; throws naming the package to install when there is none. */
export function redisServerPath(): string {
  return findProgram("redis-server", `redis-server is not on PATH: ${INSTALL_HINT}`);
}

/** Starts a redis-server on 127.0.0.1 and resolves once it accepts connections. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const path = redisServerPath();
  const timeoutMs = options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const attempts = options.port === undefined ? BIND_ATTEMPTS : 1;
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort());
    const started = await launch(path, port, timeoutMs);
    if ("redis" in started) return started.redis;
    lastError = started.error;
    if (!started.bindFailed) break;
  }
  throw lastError ?? new Error("startRedis: redis-server did not start");
}

type Launched = { redis: TestRedis } | { error: Error; bindFailed: boolean };

function launch(path: string, port: number, timeoutMs: number): Promise<Launched> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const child = spawn(path, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-MAX_OUTPUT);
  };
  // Kept reading for the server's whole life: a full pipe would block its logging.
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  running.add(child);
  installExitHook();
  exited.then(() => running.delete(child));

  return new Promise<Launched>((resolve) => {
    const fail = (reason: string, bindFailed = false) => {
      cleanup();
      child.kill("SIGKILL");
      resolve({
        error: new Error(
          `startRedis: redis-server on port ${port} ${reason} (${INSTALL_HINT} if it is missing).\nOutput:\n${output}`,
        ),
        bindFailed,
      });
    };
    const onData = () => {
      if (!output.includes(READY_LINE)) return;
      cleanup();
      resolve({ redis: handle(child, port, exited) });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(
        `exited before it was ready (${signal ?? `code ${code}`})`,
        /address already in use|bind/i.test(output),
      );
    const onError = (error: Error) => fail(`could not be started: ${error.message}`);
    const timer = setTimeout(() => fail(`was not ready within ${timeoutMs} ms`), timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
    }
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

function handle(child: ChildProcess, port: number, exited: Promise<void>): TestRedis {
  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid as number,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** A port nobody listens on right now: bind port 0, read what the system chose, release it. */

/** A test process that ends without stopping its servers must not leave them running. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}
