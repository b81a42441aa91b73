// Reads a request body once, bounded, and parses it once into JSON-RPC
// messages. Structural checks only: the receiver validates the rest.
import type { IncomingMessage } from "node:http";
import { classifyMessage, ErrorCodes, McpProxyError, messageId } from "@mcp-proxy/core";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { firstRequestId, withRequestId } from "./refusals.js";

/** A parse or validation failure, answered with the request id when one could be read. */
const badBody = (
  code: McpProxyError["code"],
  message: string,
  id: RequestId | null = null,
): McpProxyError => withRequestId(new McpProxyError(code, message), id);

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

const EMPTY = Buffer.alloc(0);

const tooLarge = (limit: number) =>
  new McpProxyError(
    ErrorCodes.BODY_TOO_LARGE,
    `Payload Too Large: the body exceeds ${limit} bytes`,
  );

const readFailed = (cause: Error | null | undefined) =>
  cause
    ? new McpProxyError(
        ErrorCodes.BAD_REQUEST,
        `Bad Request: body read failed (${cause.message})`,
        { cause },
      )
    : new McpProxyError(ErrorCodes.BAD_REQUEST, "Bad Request: body cut short");

/** Reads the whole body, rejecting with 413 as soon as it passes `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  // Fast path, the common case: a small POST arrives in the packet of its headers, so by
  // the time a handler asks, the parser has buffered all of it (every declared byte, even
  // before the message is marked complete). Take it in one read(): no listeners, no
  // promise wiring per chunk (a single buffered chunk comes back as is).
  const buffered = req.readableLength;
  if (
    (req.complete || (declared >= 0 && buffered === declared)) &&
    !req.readableFlowing &&
    !req.destroyed
  ) {
    if (buffered > limit) return Promise.reject(tooLarge(limit));
    const whole = req.read() as Buffer | null;
    return Promise.resolve(whole ?? EMPTY);
  }
  // Already torn down: its "close" has been and gone, so waiting for one would hang.
  if (req.destroyed) return Promise.reject(readFailed(req.errored));
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    let size = 0;
    let done = false;
    const finish = (error: Error | undefined) => {
      if (done) return;
      done = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      if (error) reject(error);
      else if (rest === undefined) resolve(first ?? EMPTY);
      else resolve(Buffer.concat([first as Buffer, ...rest], size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the response carries Connection: close.
        req.pause();
        finish(tooLarge(limit));
        return;
      }
      if (first === undefined) first = chunk;
      else if (rest === undefined) rest = [chunk];
      else rest.push(chunk);
    };
    const onEnd = () => finish(undefined);
    // "close" comes after "end" on a whole body, and alone when it stops early (a client
    // reset, a stream error, a destroy): one listener covers what "error" and the
    // deprecated "aborted" did. The server's own "error" listener fills req.errored.
    const onClose = () => finish(readFailed(req.errored));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
  });
}

/** A parsed POST body: the messages and whether the client sent an array. */
export interface ParsedBody {
  messages: JSONRPCMessage[];
  batch: boolean;
}

/**
 * Deepest nesting of arrays and objects accepted in a body. JSON.parse takes any depth, but
 * serialising the message again for the upstream recurses (a few thousand levels overflow the
 * stack), and no MCP message needs more than a few dozen.
 */
export const MAX_JSON_DEPTH = 1000;

/** Parses once: -32700 for bad JSON, -32600 for anything that is not JSON-RPC or too deep. */
export function parseJsonRpc(body: Buffer): ParsedBody {
  // Nesting deeper than the limit needs two bytes a level: shorter bodies cannot, and skip the scan.
  if (body.length > 2 * MAX_JSON_DEPTH && nestingExceeds(body, MAX_JSON_DEPTH)) {
    throw badBody(
      ErrorCodes.INVALID_MESSAGE,
      `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw badBody(ErrorCodes.PARSE_ERROR, "Parse error: the body is not valid JSON");
  }
  const batch = Array.isArray(value);
  const items: unknown[] = batch ? (value as unknown[]) : [value];
  if (items.length === 0) throw badBody(ErrorCodes.INVALID_MESSAGE, "Invalid Request: empty batch");
  let requestIds: Set<unknown> | undefined;
  for (const item of items) {
    const kind = classifyMessage(item);
    if (kind === "invalid") {
      throw badBody(
        ErrorCodes.INVALID_MESSAGE,
        "Invalid Request: not a JSON-RPC 2.0 message",
        messageId(item) ?? null,
      );
    }
    if (batch && kind === "request") {
      // Two requests with one id could not both be answered: refuse the batch.
      const id = messageId(item);
      requestIds ??= new Set();
      if (requestIds.has(id)) {
        throw badBody(
          ErrorCodes.INVALID_MESSAGE,
          `Invalid Request: the batch uses request id ${JSON.stringify(id)} twice`,
          id ?? null,
        );
      }
      requestIds.add(id);
    }
  }
  return { messages: items as JSONRPCMessage[], batch };
}

/** Whether arrays and objects in the JSON text `bytes` nest deeper than `max` (strings skipped). */
function nestingExceeds(bytes: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c)
        i++; // a backslash escapes the next byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}

/**
 * The first request id in a body not otherwise read, for a refusal made before it was (auth,
 * a session whose replica is gone): null when there is none or it cannot be read.
 */
export async function requestIdInBody(
  req: IncomingMessage,
  maxBodySize: number,
  read?: Buffer,
): Promise<RequestId | null> {
  try {
    return (
      firstRequestId(parseJsonRpc(read ?? (await readBody(req, maxBodySize))).messages) ?? null
    );
  } catch {
    return null;
  }
}
