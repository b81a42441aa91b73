// Small readers of request metadata that never throw: the path of any request
// target (even "//" or garbage), query parameters, Accept negotiation, and the
// protocol-version header check.
import type { IncomingMessage } from "node:http";
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";
import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";

/** The path without query or fragment; "/mcp?x=1" is "/mcp". */
export function pathOf(req: IncomingMessage): string {
  const target = req.url ?? "/";
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
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
  json: boolean;
  sse: boolean;
}

/** What the client accepts; an absent Accept accepts everything (RFC 9110). */
export function acceptOf(req: IncomingMessage): AcceptInfo {
  const accept = req.headers.accept;
  if (!accept) return { json: true, sse: true };
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
