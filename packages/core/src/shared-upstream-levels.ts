// MCP log levels (RFC 5424 severities) for the shared upstream: the upstream is
// asked for the most verbose level any session wants, and each session then
// gets only the messages at or above its own level.

/** The levels of `logging/setLevel` and `notifications/message`, most verbose first. */
export const LOGGING_LEVELS = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
] as const;

export type LoggingLevel = (typeof LOGGING_LEVELS)[number];

export function isLoggingLevel(value: unknown): value is LoggingLevel {
  return typeof value === "string" && (LOGGING_LEVELS as readonly string[]).includes(value);
}

/** The most verbose of `levels`, or undefined when none is set. */
export function mostVerbose(levels: Iterable<LoggingLevel | undefined>): LoggingLevel | undefined {
  let best: number | undefined;
  for (const level of levels) {
    if (level === undefined) continue;
    const rank = LOGGING_LEVELS.indexOf(level);
    if (best === undefined || rank < best) best = rank;
  }
  return best === undefined ? undefined : LOGGING_LEVELS[best];
}

/** True when a message at `level` passes a session that asked for `threshold`. Unknown levels pass. */
export function admits(threshold: LoggingLevel | undefined, level: unknown): boolean {
  if (threshold === undefined || !isLoggingLevel(level)) return true;
  return LOGGING_LEVELS.indexOf(level) >= LOGGING_LEVELS.indexOf(threshold);
}
