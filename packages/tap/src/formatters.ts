// Ready-made renderings of tap events: one human-readable line per event, or
// one JSON object per line. Both redact secrets and pair responses with their
// requests to show latency. Each formatter keeps its own request table, so
// use one formatter per tapped transport.
import { classifyMessage } from "@mcp-proxy/core";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { preview } from "./preview.js";
import { createKeyMatcher, redactWith } from "./redact.js";
import { type Answer, RequestTracker } from "./request-tracker.js";
import type { TapEvent } from "./tap-transport.js";

/** Default longest params/result preview in the human format, in characters. */
export const DEFAULT_MAX_PREVIEW_LENGTH = 200;

export interface FormatterOptions {
  /**
   * Keys whose values are replaced by "[REDACTED]", compared ignoring case, "-" and "_".
   * Replaces `DEFAULT_REDACT_KEYS`; spread those to extend them. Default `DEFAULT_REDACT_KEYS`.
   */
  redactKeys?: Iterable<string>;
  /** A name shown on every line, e.g. which leg of a proxy this is ("client", "upstream"). */
  label?: string;
  /**
   * Clock in epoch milliseconds, used to forget requests that were never answered
   * (after an hour) so the latency table stays bounded. Default `Date.now`.
   */
  now?: () => number;
  /**
   * Longest params/result preview in the human format, in characters; longer ones end in "…".
   * The JSON Lines format always writes the whole message. Default `DEFAULT_MAX_PREVIEW_LENGTH`.
   */
  maxPreviewLength?: number;
}

const ARROWS = { send: "→", message: "←" } as const;

/**
 * Formats each event as one line (no trailing newline): local time, optional label,
 * direction arrow, method or id, for a response the latency since its request, and a
 * compact redacted preview of params or result.
 */
export function createHumanFormatter(options: FormatterOptions = {}): (event: TapEvent) => string {
  const isSecret = createKeyMatcher(options.redactKeys);
  const tracker = new RequestTracker(options.now);
  const max = options.maxPreviewLength ?? DEFAULT_MAX_PREVIEW_LENGTH;
  const prefix = options.label === undefined ? "" : `[${singleLine(options.label)}] `;
  const show = (value: unknown): string =>
    value === undefined ? "" : ` ${preview(value, isSecret, max)}`;

  return (event) => {
    const head = `${clockTime(event.time)} ${prefix}`;
    switch (event.type) {
      case "start":
        return `${head}● start`;
      case "close":
        return `${head}■ close`;
      case "error":
        return `${head}✖ error ${singleLine(describeError(event.error))}`;
      default: {
        const answer = tracker.observe(event);
        return `${head}${ARROWS[event.type]} ${describeMessage(event.message, answer, show)}`;
      }
    }
  };
}

/**
 * Formats each event as one JSON object (no trailing newline) with `time` (epoch ms), `type`,
 * `label` when set, the redacted `message`, and for a response `method` and `latencyMs`
 * of its request; an error event carries `error: { name, message, code? }`.
 */
export function createJsonLinesFormatter(
  options: FormatterOptions = {},
): (event: TapEvent) => string {
  const isSecret = createKeyMatcher(options.redactKeys);
  const tracker = new RequestTracker(options.now);
  const label = options.label;

  return (event) => {
    const record: Record<string, unknown> = { time: round(event.time), type: event.type };
    if (label !== undefined) record.label = label;
    if (event.type === "send" || event.type === "message") {
      const answer = tracker.observe(event);
      if (answer) {
        record.method = answer.method;
        record.latencyMs = round(answer.latencyMs);
      }
      record.message = redactWith(event.message, isSecret);
    } else if (event.type === "error") {
      const error: Record<string, unknown> = {
        name: event.error.name,
        message: event.error.message,
      };
      const code = (event.error as { code?: unknown }).code;
      if (code !== undefined) error.code = code;
      record.error = error;
    }
    return JSON.stringify(record);
  };
}

function describeMessage(
  message: JSONRPCMessage,
  answer: Answer | undefined,
  show: (value: unknown) => string,
): string {
  const m = message as Record<string, unknown>;
  const id = `#${singleLine(String(m.id))}`;
  const latency = answer ? ` ${answer.method} (${formatLatency(answer.latencyMs)})` : "";
  switch (classifyMessage(message)) {
    case "request":
      return `${singleLine(String(m.method))} ${id}${show(m.params)}`;
    case "notification":
      return `${singleLine(String(m.method))}${show(m.params)}`;
    case "response":
      return `${id}${latency}${show(m.result)}`;
    case "error": {
      const error = (m.error ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
      const text = `error ${String(error.code)} ${singleLine(String(error.message))}`;
      return `${id}${latency} ${text}${show(error.data)}`;
    }
    default:
      // A JSON-RPC batch (allowed by 2025-03-26 only) or something malformed: show it as it is.
      return `${Array.isArray(message) ? "batch" : "invalid"}${show(message)}`;
  }
}

function describeError(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return `${error.name}${code === undefined ? "" : ` [${String(code)}]`}: ${error.message}`;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** HH:MM:SS.mmm in local time: what a developer compares with their own clock. */
function clockTime(time: number): string {
  const d = new Date(time);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function formatLatency(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)}ms` : `${(ms / 1000).toFixed(2)}s`;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Keeps a line a line: control characters in names or error texts are escaped. */
function singleLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}
