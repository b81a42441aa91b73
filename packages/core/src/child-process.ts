// The stdio leg: a Transport that spawns an MCP server and speaks
// newline-delimited JSON-RPC on its stdin/stdout. Noise on stdout is reported
// and skipped; close ends stdin, then SIGTERM, then SIGKILL to the whole group.
import { type ChildProcess, spawn } from "node:child_process";
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, McpProxyError, SpawnError, UpstreamExitedError } from "./errors.js";
import { LARGE_JSON_TEXT, recordJsonText } from "./json-text.js";
import { classifyMessage } from "./jsonrpc.js";
import { LineSplitter } from "./line-splitter.js";
import { groupAlive, signalGroup, trackGroup, untrackGroup } from "./process-group.js";

/** Default time between each step of the shutdown ladder. */
export const DEFAULT_KILL_GRACE_MS = 2000;
/**
 * Default cap on one stdout line: results of tens of MiB still fit. A line that cannot be JSON
 * is dropped much earlier (DEFAULT_MAX_NOISE_LENGTH), so junk never holds this much.
 */
export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024 * 1024;

export interface ChildProcessOptions {
  /** The program to run (or, with `shell`, a shell command line). */
  command: string;
  args?: readonly string[];
  /** Extra environment; merged over the parent's unless `inheritEnv` is false. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Start from the parent's environment (default true). */
  inheritEnv?: boolean;
  cwd?: string;
  /** Run through a shell: true for the user's shell ($SHELL, else /bin/sh), or a path. */
  shell?: boolean | string;
  /** Child stderr: inherit (default), ignore, or a callback for each chunk of text. */
  stderr?: "inherit" | "ignore" | ((text: string) => void);
  /** Grace between ending stdin, SIGTERM and SIGKILL. */
  killGracePeriodMs?: number;
  /** Longest stdout line accepted; longer lines are reported and dropped. */
  maxLineLength?: number;
  /** A stdout line that is not a JSON-RPC message (a banner, a warning). */
  onNoise?: (line: string) => void;
  /** The child exited (by itself or because we closed it). */
  onExit?: (info: ChildExitInfo) => void;
}

export interface ChildExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the exit followed our own close(). */
  expected: boolean;
}

const shellQuote = (arg: string): string =>
  /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;

export class ChildProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  readonly #options: ChildProcessOptions;
  #child: ChildProcess | undefined;
  #closing: Promise<void> | undefined;
  #closedNotified = false;
  #exitInfo: ChildExitInfo | undefined;
  #exited: Promise<ChildExitInfo>;
  #resolveExited!: (info: ChildExitInfo) => void;
  #closeRequested = false;
  #corked = false;

  constructor(options: ChildProcessOptions) {
    this.#options = options;
    this.#exited = new Promise((resolve) => {
      this.#resolveExited = resolve;
    });
  }

  /** The child's pid once started. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** How the child exited, once it has. */
  get exitInfo(): ChildExitInfo | undefined {
    return this.#exitInfo;
  }

  /** Resolves when the child has exited. */
  get exited(): Promise<ChildExitInfo> {
    return this.#exited;
  }

  /** A short label for messages: the command and its arguments. */
  get label(): string {
    return [this.#options.command, ...(this.#options.args ?? [])].join(" ");
  }

  async start(): Promise<void> {
    if (this.#child)
      throw new McpProxyError(ErrorCodes.BAD_REQUEST, "ChildProcessTransport already started");
    const o = this.#options;
    const env = o.inheritEnv === false ? { ...o.env } : { ...process.env, ...o.env };
    const stderr = typeof o.stderr === "function" ? "pipe" : (o.stderr ?? "inherit");
    let file = o.command;
    let args = [...(o.args ?? [])];
    if (o.shell) {
      // Build one command line ourselves so arguments stay quoted as given.
      const shell = typeof o.shell === "string" ? o.shell : process.env.SHELL || "/bin/sh";
      const line = [o.command, ...args.map(shellQuote)].join(" ");
      file = shell;
      args = ["-c", line];
    }
    const child = spawn(file, args, {
      cwd: o.cwd,
      env: env as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", stderr],
      detached: process.platform !== "win32",
      windowsHide: true,
    });
    this.#child = child;

    await new Promise<void>((resolve, reject) => {
      const onSpawn = () => {
        child.off("error", onError);
        resolve();
      };
      const onError = (error: Error) => {
        child.off("spawn", onSpawn);
        reject(new SpawnError(o.command, error));
      };
      child.once("spawn", onSpawn);
      child.once("error", onError);
    });
    const pid = child.pid!;
    trackGroup(pid);

    child.on("error", (error) => this.#reportError(error));
    child.stdin!.on("error", (error) => {
      // EPIPE after the child died is expected; the exit path reports that.
      if ((error as NodeJS.ErrnoException).code !== "EPIPE") this.#reportError(error);
    });

    const splitter = new LineSplitter({
      maxLineLength: o.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH,
      onLine: (line) => this.#handleLine(line),
      onOverflow: (length) =>
        this.#reportError(
          new McpProxyError(
            ErrorCodes.LINE_TOO_LONG,
            `Dropped a ${length}-byte stdout line from "${this.label}"`,
          ),
        ),
    });
    child.stdout!.on("data", (chunk: Buffer) => splitter.push(chunk));
    const stdoutEnded = new Promise<void>((resolve) => {
      child.stdout!.once("close", resolve);
      child.stdout!.once("end", resolve);
    });
    if (typeof o.stderr === "function") {
      const sink = o.stderr;
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (text: string) => sink(text));
    }

    child.once("exit", (code, signal) => {
      const info: ChildExitInfo = { code, signal, expected: this.#closeRequested };
      this.#exitInfo = info;
      // Let stdout drain what the child wrote before it exited, but do not
      // wait on a grandchild that still holds the pipe open.
      const drained = Promise.race([stdoutEnded, new Promise((r) => setTimeout(r, 100).unref())]);
      void drained.then(() => {
        splitter.flush();
        this.#resolveExited(info);
        try {
          o.onExit?.(info);
        } catch {
          // ignore a throwing callback
        }
        if (!info.expected) {
          this.#reportError(new UpstreamExitedError(this.label, code, signal));
          // The leader is gone; make sure the rest of its group follows.
          void this.close();
        }
        this.#notifyClosed();
      });
    });
  }

  send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || this.#closeRequested || this.#exitInfo || stdin.destroyed || !stdin.writable) {
      return Promise.reject(
        new McpProxyError(
          this.#exitInfo ? ErrorCodes.UPSTREAM_EXITED : ErrorCodes.TRANSPORT_CLOSED,
          `Cannot send to "${this.label}": ${this.#exitInfo ? "it has exited" : "transport not open"}`,
        ),
      );
    }
    // Messages sent in one event-loop turn go out in one write (writev) rather
    // than one syscall, and one wake-up of the child, each.
    if (!this.#corked) {
      this.#corked = true;
      stdin.cork();
      process.nextTick(this.#uncork);
    }
    const ok = stdin.write(`${JSON.stringify(message)}\n`);
    if (ok) return Promise.resolve();
    // Backpressure: resolve once the pipe drains, so callers can pace themselves.
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        stdin.off("close", onClose);
        resolve();
      };
      const onClose = () => {
        stdin.off("drain", onDrain);
        reject(new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, `stdin of "${this.label}" closed`));
      };
      stdin.once("drain", onDrain);
      stdin.once("close", onClose);
    });
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#child?.stdin?.uncork();
  };

  /** Ends stdin, then SIGTERM, then SIGKILL, to the whole process group. Idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closeRequested = true;
    this.#closing = this.#shutdown().finally(() => this.#notifyClosed());
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    const child = this.#child;
    if (!child?.pid) return;
    const pid = child.pid;
    const grace = this.#options.killGracePeriodMs ?? DEFAULT_KILL_GRACE_MS;
    const waitGroup = async (ms: number) => {
      const deadline = Date.now() + ms;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(Math.min(25, ms));
      return !groupAlive(pid);
    };
    if (!this.#exitInfo) {
      child.stdin?.end();
      await Promise.race([this.#exited, sleep(grace)]);
    }
    if (groupAlive(pid)) {
      signalGroup(pid, "SIGTERM");
      if (!(await waitGroup(grace))) {
        signalGroup(pid, "SIGKILL");
        await waitGroup(grace);
      }
    }
    if (!this.#exitInfo) await Promise.race([this.#exited, sleep(grace)]);
    untrackGroup(pid);
    child.stdout?.destroy();
    child.stderr?.destroy();
  }

  #handleLine(line: string): void {
    if (line.length === 0) return;
    const first = line.charCodeAt(0);
    // Only something that starts like a JSON object can be a message; this
    // skips banners without paying for a failed JSON.parse.
    if (first !== 0x7b /* { */ && !(first === 0x20 || first === 0x09)) {
      this.#noise(line);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.#noise(line);
      return;
    }
    if (classifyMessage(parsed) === "invalid") {
      this.#noise(line);
      return;
    }
    // A large message relayed unchanged can then be written as this very text.
    if (line.length >= LARGE_JSON_TEXT) recordJsonText(parsed as object, line);
    this.onmessage?.(parsed as JSONRPCMessage);
  }

  #noise(line: string): void {
    try {
      this.#options.onNoise?.(line);
    } catch {
      // ignore a throwing callback
    }
  }

  #reportError(error: Error): void {
    try {
      this.onerror?.(error);
    } catch {
      // ignore a throwing callback
    }
  }

  #notifyClosed(): void {
    if (this.#closedNotified) return;
    // Report closure only once the child is gone (or never started).
    if (this.#child?.pid && !this.#exitInfo) return;
    this.#closedNotified = true;
    this.onclose?.();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
