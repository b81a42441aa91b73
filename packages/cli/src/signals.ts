// SIGINT/SIGTERM handling shared by every mode: the first signal starts a clean
// shutdown bounded by a timeout, a second one (or the timeout) forces the exit.
// Children are spawned in their own process groups, which core kills on exit.

const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export interface ShutdownOptions {
  /** Closes everything; resolves when done. */
  close: (signal: NodeJS.Signals) => Promise<void>;
  /** Upper bound on `close`, in ms. */
  timeoutMs: number;
  /** Exits the process (injected for tests). */
  exit: (code: number) => void;
  /** One-line messages on stderr. */
  log: (line: string) => void;
  /** The signals that shut down. Default SIGINT, SIGTERM and SIGHUP. */
  signals?: readonly NodeJS.Signals[];
}

/** Installs the handlers; returns a function that removes them. */
export function handleShutdownSignals(options: ShutdownOptions): () => void {
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      options.log(`mcp-proxy: ${signal} again, exiting now`);
      options.exit(1);
      return;
    }
    shuttingDown = true;
    options.log(`mcp-proxy: ${signal} received, shutting down`);
    const timer = setTimeout(() => {
      options.log(`mcp-proxy: shutdown took longer than ${options.timeoutMs} ms, forcing exit`);
      options.exit(1);
    }, options.timeoutMs);
    timer.unref();
    options
      .close(signal)
      .catch((error: unknown) => {
        options.log(
          `mcp-proxy: error while shutting down: ${error instanceof Error ? error.message : String(error)}`,
        );
      })
      .finally(() => {
        clearTimeout(timer);
        options.exit(0);
      });
  };
  const signals = options.signals ?? SIGNALS;
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
