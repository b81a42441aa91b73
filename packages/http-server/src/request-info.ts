// Small readers of request metadata that never throw: the path of any request
// target (even "//" or garbage), the bearer token, query parameters, Accept
// negotiation, and the protocol-version header check.
import type { IncomingMessage } from "node:http";
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";
import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";

/** The path without query or fragment; "/mcp?x=1" is "/mcp". */
export function pathOf(req: IncomingMessage): string {
  const target = req.url ?? "/";
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

/** The token of an `Authorization: Bearer` header, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1]?.trim();
}

/** One query parameter, or undefined; tolerates malformed encodings. */
export function queryParam(req: IncomingMessage, name: string): string | undefined {
  const target = req.url ?? "";
  const q = target.indexOf("?");
  if (q === -1) return undefined;
  try {
    return new URLSearchParams(target.slice(q + 1)).get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

/** A single-valued header (the first when repeated). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export interface AcceptInfo {
  readonly json: boolean;
  readonly sse: boolean;
}

const ACCEPT_ALL: AcceptInfo = Object.freeze({ json: true, sse: true });

/** Distinct Accept values remembered; clients send one or two, so a few cover them all. */
export const ACCEPT_CACHE_SIZE = 32;
/** Longer Accept values are parsed each time rather than kept (bounds the cache's memory). */
export const ACCEPT_CACHE_MAX_LENGTH = 256;
const acceptCache = new Map<string, AcceptInfo>();

/** What the client accepts; an absent Accept accepts everything (RFC 9110). */
export function acceptOf(req: IncomingMessage): AcceptInfo {
  const accept = req.headers.accept;
  if (!accept) return ACCEPT_ALL;
  // Every request of a client repeats the same Accept: parse each distinct value once.
  const known = acceptCache.get(accept);
  if (known !== undefined) return known;
  const info = Object.freeze(parseAccept(accept));
  if (accept.length <= ACCEPT_CACHE_MAX_LENGTH) {
    if (acceptCache.size >= ACCEPT_CACHE_SIZE) {
      // Drop the oldest: a client that varies its Accept per request only churns the cache.
      const oldest = acceptCache.keys().next().value;
      if (oldest !== undefined) acceptCache.delete(oldest);
    }
    acceptCache.set(accept, info);
  }
  return info;
}

/** Parses an Accept value: media ranges without their parameters, case-insensitive. */
export function parseAccept(accept: string): AcceptInfo {
  const types = accept
    .toLowerCase()
    .split(",")
    .map((part) => part.split(";")[0]?.trim() ?? "");
  const any = types.includes("*/*");
  return {
    json: any || types.includes("application/json") || types.includes("application/*"),
    sse: any || types.includes("text/event-stream") || types.includes("text/*"),
  };
}

export function notAcceptable(needed: string): McpProxyError {
  return new McpProxyError(
    ErrorCodes.NOT_ACCEPTABLE,
    `Not Acceptable: the client must accept ${needed}`,
  );
}

/**
 * MCP-Protocol-Version, when sent, must be one we speak or the one the upstream negotiated
 * (400 otherwise); absent means 2025-03-26 (basic/transports#protocol-version-header).
 * Accepting the negotiated version keeps us from rejecting what we relayed (LESSONS 13).
 */
export function checkProtocolVersion(req: IncomingMessage, negotiated?: string): void {
  const version = header(req, "mcp-protocol-version");
  if (
    version !== undefined &&
    version !== negotiated &&
    !SUPPORTED_PROTOCOL_VERSIONS.includes(version)
  ) {
    throw new McpProxyError(
      ErrorCodes.BAD_REQUEST,
      `Bad Request: unsupported MCP-Protocol-Version "${version}" (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`,
    );
  }
}
