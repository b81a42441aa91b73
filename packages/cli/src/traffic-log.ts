// Where tapped traffic goes: human-readable lines on stderr (--debug, tap mode)
// and/or JSON Lines appended to a file (--log-file). One formatter per tapped
// transport, since each pairs requests with responses for latency.
import { closeSync, createWriteStream, openSync, type WriteStream } from "node:fs";
import { createHumanFormatter, createJsonLinesFormatter, type TapEvent } from "@mcp-proxy/tap";
import { UsageError } from "./usage-error.js";

export interface TrafficLogOptions {
  /** Append JSON Lines here. */
  file?: string;
  /** Write human-readable lines to stderr. */
  human: boolean;
}

export interface TrafficLog {
  /** True when anything is logged at all (so callers can skip tapping). */
  readonly enabled: boolean;
  /** A new observer for one tapped transport; `label` names it on every line. */
  observer(label?: string): (event: TapEvent) => void;
  /** Flushes and closes the file. Idempotent. */
  close(): Promise<void>;
}

/** Opens the log file now, so a bad path fails the start with one line. */
export function openTrafficLog(options: TrafficLogOptions): TrafficLog {
  let stream: WriteStream | undefined;
  if (options.file) {
    let fd: number;
    try {
      fd = openSync(options.file, "a");
    } catch (error) {
      throw new UsageError(
        `Cannot open log file "${options.file}": ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
    stream = createWriteStream(options.file, { fd, flags: "a" });
    stream.on("error", () => {
      // A full disk must not take the proxy down; traffic keeps flowing unlogged.
      stream = undefined;
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    });
  }
  let closing: Promise<void> | undefined;
  return {
    enabled: options.human || stream !== undefined,
    observer(label) {
      const opts = label === undefined ? {} : { label };
      const json = stream ? createJsonLinesFormatter(opts) : undefined;
      const human = options.human ? createHumanFormatter(opts) : undefined;
      return (event) => {
        if (json && stream && !closing) stream.write(`${json(event)}\n`);
        if (human) process.stderr.write(`${human(event)}\n`);
      };
    },
    close() {
      if (closing) return closing;
      const s = stream;
      closing = s ? new Promise<void>((resolve) => s.end(() => resolve())) : Promise.resolve();
      return closing;
    },
  };
}
