// The local side: newline-delimited JSON-RPC on a pair of streams (normally
// this process's stdin/stdout). Only JSON-RPC messages are ever written to
// the output stream; anything else goes to the logger.
import {
  DEFAULT_MAX_LINE_LENGTH,
  ErrorCodes,
  JsonRpcErrorCodes,
  jsonRpcError,
  LineSplitter,
  type Logger,
  McpProxyError,
} from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

export class StdioStreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  readonly #input: NodeJS.ReadableStream;
  readonly #output: NodeJS.WritableStream;
  readonly #logger: Logger;
  readonly #splitter: LineSplitter;
  #closed = false;
  #closing: Promise<void> | undefined;

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
    const ok = this.#output.write(`${JSON.stringify(message)}\n`);
    if (!ok) await new Promise<void>((resolve) => this.#output.once("drain", resolve));
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

  readonly #onData = (chunk: Buffer | string) => {
    this.#splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  };

  readonly #onEnd = () => {
    this.#splitter.flush();
    void this.close();
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
    this.onmessage?.(value as JSONRPCMessage);
  }
}
