// What the cluster tests share: a logger that keeps its lines, and a key prefix
// of their own for each test, so tests on one Redis never see each other's keys.
import { randomUUID } from "node:crypto";
import type { Logger, LogLevel } from "@mcp-proxy/core";

export interface LogLine {
  level: Exclude<LogLevel, "silent">;
  message: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      void lines.push({ level, message, fields });
  return {
    lines,
    logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
  };
}

/** A key prefix no other test uses. */
export function freshPrefix(): string {
  return `test-${randomUUID().slice(0, 8)}:`;
}
