// Writes SSE frames straight to the response: one serialisation per message,
// heartbeat comments on long-lived streams, and a close callback when the
// client goes away.
import type { ServerResponse } from "node:http";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream",
  // no-store, not no-cache: Chromium keeps a no-cache event stream in its HTTP cache and then
  // replayed a session's DELETE (LESSONS 17).
  "Cache-Control": "no-store, no-transform",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no",
} as const;

/** Formats one SSE event. `data` must not contain newlines (JSON.stringify output never does). */
export function formatEvent(data: string, eventId?: string, event = "message"): string {
  return `${eventId === undefined ? "" : `id: ${eventId}\n`}event: ${event}\ndata: ${data}\n\n`;
}

/**
 * The data line of a message: `text` when it can go on one line, else a fresh serialisation.
 * JSON may carry CR or LF between tokens, and either would end an SSE data line early;
 * JSON.stringify output never does.
 */
export function sseData(message: JSONRPCMessage, text: string | undefined): string {
  if (text !== undefined && text.indexOf("\n") === -1 && text.indexOf("\r") === -1) return text;
  return JSON.stringify(message);
}

export class SseWriter {
  readonly #res: ServerResponse;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;
  #onClose: Array<() => void> = [];

  constructor(res: ServerResponse, headers: Record<string, string>, heartbeatMs: number) {
    this.#res = res;
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    res.flushHeaders();
    // The response's close covers client resets and our own end().
    res.on("close", () => this.#markClosed());
    res.on("error", () => this.#markClosed());
    if (heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.#write(": keep-alive\n\n"), heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  onClose(callback: () => void): void {
    if (this.#closed) callback();
    else this.#onClose.push(callback);
  }

  /**
   * Writes one message event. `text`, when given, must be the JSON text of `message`
   * (for example the exact line an upstream sent, when nothing rewrote the message):
   * it is framed as it is instead of serialising `message` again.
   */
  writeMessage(message: JSONRPCMessage, eventId?: string, text?: string): void {
    if (this.#closed || this.#res.writableEnded) return;
    this.#write(formatEvent(sseData(message, text), eventId));
  }

  writeEvent(event: string, data: string): void {
    this.#write(formatEvent(data, undefined, event));
  }

  end(): void {
    if (!this.#closed && !this.#res.writableEnded) this.#res.end();
    this.#markClosed();
  }

  #write(frame: string): void {
    if (this.#closed || this.#res.writableEnded) return;
    this.#res.write(frame);
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    const callbacks = this.#onClose;
    this.#onClose = [];
    for (const callback of callbacks) {
      try {
        callback();
      } catch {
        // A callback must not stop the others.
      }
    }
  }
}
