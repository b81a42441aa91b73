// The local side: newline-delimited JSON-RPC on a pair of streams (normally
// this process's stdin/stdout). Only JSON-RPC messages are ever written to
// the output stream; anything else goes to the logger.
import {
  ErrorCodes,
  isRequest,
  JsonRpcErrorCodes,
  jsonRpcError,
  type Logger,
  McpProxyError,
  messageId,
} from "@mcp-proxy/core";
import { DEFAULT_MAX_LINE_LENGTH, LineSplitter } from "@mcp-proxy/core/internal";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";

/**
 * When stdin ends while requests are still in flight (e.g. `echo '…' | mcp-proxy
 * stdio URL`), wait this long for their answers before closing, ms.
 */
export const DEFAULT_STDIN_END_GRACE_MS = 2_000;

export class StdioStreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  readonly #input: NodeJS.ReadableStream;
  readonly #output: NodeJS.WritableStream;
  readonly #logger: Logger;
  readonly #splitter: LineSplitter;
  #closed = false;
  #ending = false;
  #closing: Promise<void> | undefined;
  /** Requests read from the input and not answered yet. */
  readonly #unanswered = new Set<RequestId>();
  #drained: (() => void) | undefined;

  constructor(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, logger: Logger) {
    this.#input = input;
    this.#output = output;
    this.#logger = logger;
    this.#splitter = new LineSplitter({
      maxLineLength: DEFAULT_MAX_LINE_LENGTH,
      onLine: (line) => this.#line(line),
      onOverflow: (length) =>
        this.#logger.warn(`Dropped an input line of ${length} bytes (too long)`),
    });
  }

  async start(): Promise<void> {
    this.#input.on("data", this.#onData);
    this.#input.on("end", this.#onEnd);
    this.#input.on("close", this.#onEnd);
    this.#input.on("error", this.#onError);
    this.#output.on("error", this.#onError);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed)
      throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "stdio transport is closed");
    const id = messageId(message);
    if (
      id !== undefined &&
      !isRequest(message) &&
      this.#unanswered.delete(id) &&
      this.#unanswered.size === 0
    ) {
      this.#drained?.();
    }
    const ok = this.#output.write(`${JSON.stringify(message)}\n`);
    if (!ok) await this.#drain();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#input.off("data", this.#onData);
      this.#input.off("end", this.#onEnd);
      this.#input.off("close", this.#onEnd);
      this.#input.off("error", this.#onError);
      this.#output.off("error", this.#onError);
      // Let the process exit: a paused stdin holds no handle open.
      this.#input.pause();
      this.onclose?.();
    })();
    return this.#closing;
  }

  /** Waits for the output to drain, or to close or fail (then nothing more can be written). */
  #drain(): Promise<void> {
    const output = this.#output;
    return new Promise<void>((resolve) => {
      const done = () => {
        output.off("drain", done);
        output.off("close", done);
        output.off("error", done);
        resolve();
      };
      output.on("drain", done);
      output.on("close", done);
      output.on("error", done);
    });
  }

  readonly #onData = (chunk: Buffer | string) => {
    this.#splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  };

  readonly #onEnd = () => {
    if (this.#ending) return;
    this.#ending = true;
    this.#splitter.flush();
    if (this.#unanswered.size === 0) {
      void this.close();
      return;
    }
    const timer = setTimeout(() => this.#drained?.(), DEFAULT_STDIN_END_GRACE_MS);
    this.#drained = () => {
      clearTimeout(timer);
      this.#drained = undefined;
      void this.close();
    };
  };

  readonly #onError = (error: Error) => {
    this.#logger.warn(`stdio stream error: ${error.message}`);
    this.onerror?.(error);
    void this.close();
  };

  #line(line: string): void {
    if (line.trim() === "" || this.#closed) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.#logger.warn("Ignoring an input line that is not JSON");
      // JSON-RPC asks for a parse error answer (id unknown, so null).
      void this.send(
        jsonRpcError(null, JsonRpcErrorCodes.PARSE_ERROR, "Parse error") as JSONRPCMessage,
      ).catch(() => {});
      return;
    }
    // The remote server validates messages; we only forward them.
    if (isRequest(value)) this.#unanswered.add((value as { id: RequestId }).id);
    else this.#forgetCancelled(value);
    this.onmessage?.(value as JSONRPCMessage);
  }

  /** A request the client cancelled gets no answer: do not wait for one when stdin ends. */
  #forgetCancelled(value: unknown): void {
    const m = value as { method?: unknown; params?: { requestId?: RequestId } };
    if (m.method !== "notifications/cancelled" || m.params?.requestId === undefined) return;
    if (this.#unanswered.delete(m.params.requestId) && this.#unanswered.size === 0)
      this.#drained?.();
  }
}
