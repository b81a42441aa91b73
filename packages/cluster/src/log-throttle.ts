// A Redis that is down fails every reconnect (about once a second) and every
// refresh: logged each time, that would bury everything else in the log. The
// first failure is logged at once, then at most one line per interval, with
// how many were left out.

/** Default interval between two lines about the same failure. */
export const DEFAULT_LOG_INTERVAL_MS = 30_000;

export class LogThrottle {
  readonly #intervalMs: number;
  #lastAt = Number.NEGATIVE_INFINITY;
  #skipped = 0;
  #failing = false;

  constructor(intervalMs = DEFAULT_LOG_INTERVAL_MS) {
    this.#intervalMs = intervalMs;
  }

  /** Whether a failure is being reported (since the last `recovered`). */
  get failing(): boolean {
    return this.#failing;
  }

  /** A failure: `log` runs with how many failures went unlogged before it, or not at all. */
  failed(log: (skipped: number) => void): void {
    this.#failing = true;
    const now = Date.now();
    if (now - this.#lastAt < this.#intervalMs) {
      this.#skipped++;
      return;
    }
    const skipped = this.#skipped;
    this.#lastAt = now;
    this.#skipped = 0;
    log(skipped);
  }

  /** A success: `log` runs once if failures were reported; the next failure is logged at once. */
  recovered(log: () => void): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#lastAt = Number.NEGATIVE_INFINITY;
    this.#skipped = 0;
    log();
  }
}
