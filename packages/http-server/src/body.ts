// Reads a request body once, bounded, and parses it once into JSON-RPC
// messages. Structural checks only: the receiver validates the rest.
import type { IncomingMessage } from "node:http";
import { classifyMessage, ErrorCodes, McpProxyError, messageId } from "@mcp-proxy/core";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";

/** A parse or validation failure that knows the request id, when one could be read. */
export class BodyError extends McpProxyError {
  override readonly name = "BodyError";
  readonly id: RequestId | null;
  constructor(code: McpProxyError["code"], message: string, id: RequestId | null = null) {
    super(code, message);
    this.id = id;
  }
}

/** 415 unless the request declares a JSON body. */
export function assertJsonContentType(req: IncomingMessage): void {
  const type = req.headers["content-type"];
  if (!type || !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type.trim())) {
    throw new McpProxyError(
      ErrorCodes.UNSUPPORTED_MEDIA_TYPE,
      "Unsupported Media Type: Content-Type must be application/json",
    );
  }
}

/** Reads the whole body, rejecting with 413 as soon as it passes `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new McpProxyError(
      ErrorCodes.BODY_TOO_LARGE,
      `Payload Too Large: the body exceeds ${limit} bytes`,
    );
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: Error | undefined) => {
      if (done) return;
      done = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
      req.off("close", onClose);
      if (error) reject(error);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the response carries Connection: close.
        req.pause();
        finish(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onError = (cause: Error) =>
      finish(
        new McpProxyError(
          ErrorCodes.BAD_REQUEST,
          `Bad Request: body read failed (${cause.message})`,
          { cause },
        ),
      );
    const onAborted = () =>
      finish(new McpProxyError(ErrorCodes.BAD_REQUEST, "Bad Request: body cut short"));
    const onClose = () => {
      if (!req.complete) onAborted();
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
    req.on("close", onClose);
  });
}

/** A parsed POST body: the messages and whether the client sent an array. */
export interface ParsedBody {
  messages: JSONRPCMessage[];
  batch: boolean;
}

/** Parses once: -32700 for bad JSON, -32600 for anything that is not JSON-RPC. */
export function parseJsonRpc(body: Buffer): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new BodyError(ErrorCodes.PARSE_ERROR, "Parse error: the body is not valid JSON");
  }
  const batch = Array.isArray(value);
  const items: unknown[] = batch ? (value as unknown[]) : [value];
  if (items.length === 0)
    throw new BodyError(ErrorCodes.INVALID_MESSAGE, "Invalid Request: empty batch");
  for (const item of items) {
    if (classifyMessage(item) === "invalid") {
      throw new BodyError(
        ErrorCodes.INVALID_MESSAGE,
        "Invalid Request: not a JSON-RPC 2.0 message",
        messageId(item) ?? null,
      );
    }
  }
  return { messages: items as JSONRPCMessage[], batch };
}
