// Child supervision: which children are alive, whether the upstream is healthy
// (served at /health), and what to do when the shared child of a
// single-upstream mode dies: exit with its code (a supervisor above restarts
// the proxy) or restart it with exponential backoff.
import type { ChildExitInfo } from "@mcp-proxy/core";
import { describeExit, exitCodeOf } from "./child.js";
import type { RestartPolicy } from "./config.js";

export const RESTART_BACKOFF_INITIAL_MS = 500;
export const RESTART_BACKOFF_MAX_MS = 30_000;
/** Consecutive failed restarts before giving up and exiting with the child's code. */
export const RESTART_MAX_ATTEMPTS = 5;
/** A child that ran this long counts as having started fine: the backoff resets. */
export const RESTART_STABLE_AFTER_MS = 30_000;

export type ExitDecision =
  | { action: "exit"; code: number }
  | { action: "restart"; delayMs: number };

/** What to do when the single (shared) child exits on its own. Pure. */
export function decideOnExit(
  policy: RestartPolicy,
  info: ChildExitInfo,
  failedAttempts: number,
): ExitDecision {
  const code = exitCodeOf(info);
  if (policy === "never" || code === 0 || failedAttempts >= RESTART_MAX_ATTEMPTS)
    return { action: "exit", code };
  return {
    action: "restart",
    delayMs: Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_INITIAL_MS * 2 ** failedAttempts),
  };
}

export interface HealthReport {
  ok: boolean;
  detail: Record<string, unknown>;
}

/** Tracks children for health, supervision and shutdown. */
export class Supervisor {
  readonly #policy: RestartPolicy;
  readonly #shared: boolean;
  #live = 0;
  #started = 0;
  #failedAttempts = 0;
  #restartAt = 0;
  #lastFailure: string | undefined;
  /** Shared children running: one per capability profile and the 2026-07-28 gateway's, each stopped when idle. */
  #sharedLive = 0;

  /** `shared`: one child serves every request (--stateless, --shared), so its death is the proxy's. */
  constructor(policy: RestartPolicy, shared: boolean) {
    this.#policy = policy;
    this.#shared = shared;
  }

  /** Waits out a pending restart backoff before a new shared child is spawned. */
  async beforeSpawn(): Promise<void> {
    const wait = this.#restartAt - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /** A child started; `single`: it is one of the proxy's shared children (not a session's). */
  spawned(single = this.#shared): () => number {
    this.#live++;
    this.#started++;
    if (this.#shared && single) this.#sharedLive++;
    const startedAt = Date.now();
    return () => Date.now() - startedAt;
  }

  /**
   * Records an exit. For the shared child's unexpected exit returns what to do;
   * otherwise undefined (a session's child only ends its session).
   */
  exited(info: ChildExitInfo, ranForMs: number, single = this.#shared): ExitDecision | undefined {
    this.#live = Math.max(0, this.#live - 1);
    if (this.#shared && single) this.#sharedLive = Math.max(0, this.#sharedLive - 1);
    // Stopped by us (idle, or the proxy closing): no failure, started again on demand.
    if (info.expected) return undefined;
    const failed = exitCodeOf(info) !== 0;
    this.#lastFailure = failed ? `the server ${describeExit(info)}` : undefined;
    if (!this.#shared || !single) return undefined;
    if (ranForMs >= RESTART_STABLE_AFTER_MS) this.#failedAttempts = 0;
    const decision = decideOnExit(this.#policy, info, this.#failedAttempts);
    if (decision.action === "restart") {
      this.#failedAttempts++;
      this.#restartAt = Date.now() + decision.delayMs;
    }
    return decision;
  }

  /**
   * Wraps `child.start` so that supervision learns when the process really runs, or why it could
   * not (a `single` child first waits out a restart backoff); `started` runs after a start.
   * Returns how long the child has run, undefined until it started.
   */
  watchStart(
    child: { start(): Promise<void> },
    single: boolean,
    started: () => void,
  ): () => number | undefined {
    let ranFor: (() => number) | undefined;
    const start = child.start.bind(child);
    child.start = async () => {
      if (single) await this.beforeSpawn();
      try {
        await start();
      } catch (error) {
        this.spawnFailed(error instanceof Error ? error.message : String(error));
        throw error;
      }
      ranFor = this.spawned(single);
      started();
    };
    return () => ranFor?.();
  }

  /** A spawn that failed outright (command not found, ...). */
  spawnFailed(message: string): void {
    this.#lastFailure = message;
  }

  /** Readiness for /health. */
  health(): HealthReport {
    if (this.#shared) {
      const restarting = this.#restartAt > Date.now();
      const up = this.#sharedLive > 0;
      return {
        ok: up || !this.#lastFailure,
        detail: {
          upstream: up
            ? "up"
            : this.#lastFailure
              ? "down"
              : this.#started === 0
                ? "not started (starts on first request)"
                : "idle (starts on the next request)",
          ...(restarting ? { restartInMs: this.#restartAt - Date.now() } : {}),
          ...(this.#lastFailure ? { lastFailure: this.#lastFailure } : {}),
        },
      };
    }
    // One child per session: healthy unless the last child to end crashed and none started since.
    return {
      ok: this.#lastFailure === undefined,
      detail: {
        children: this.#live,
        ...(this.#lastFailure ? { lastFailure: this.#lastFailure } : {}),
      },
    };
  }

  /** Call when a child started after a failure: the upstream works again. */
  recovered(): void {
    this.#lastFailure = undefined;
  }
}
