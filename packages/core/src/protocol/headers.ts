// Header/body validation for one 2026-07-28 POST, and the client-side
// counterpart that builds those headers. Pure functions: the HTTP layer maps
// the result straight onto a status and a JSON-RPC error body.
// Spec: basic/transports/streamable-http.mdx#server-validation, basic/index.mdx#_meta.
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";
import { JsonRpcErrorCodes } from "../errors.js";
import { jsonRpcError, messageId } from "../jsonrpc.js";
import {
  decodeHeaderValue,
  encodeHeaderValue,
  headerTextFor,
  mcpHeaderParams,
  valueAtPath,
} from "./header-values.js";
import { type HeaderBag, META, MODERN_PROTOCOL_VERSIONS, requestMeta } from "./versions.js";

/** Methods whose `Mcp-Name` header mirrors `params.name` or `params.uri`. */
export const NAMED_METHODS: Readonly<Record<string, "name" | "uri">> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
};

export interface ModernValidationInput {
  /** Request headers with lower-cased names (as Node's `IncomingMessage.headers`). */
  headers: HeaderBag;
  /** The parsed JSON-RPC message from the body. */
  message: unknown;
  /** Protocol versions accepted; default {@link MODERN_PROTOCOL_VERSIONS}. */
  supportedVersions?: readonly string[];
  /** Versions listed in a -32022 error; default `supportedVersions` (a dual-era endpoint adds its legacy ones). */
  advertisedVersions?: readonly string[];
  /** For `tools/call`: the tool's inputSchema, to check `Mcp-Param-*` against `x-mcp-header`. */
  toolInputSchema?: unknown;
}

export type JsonRpcErrorBody = ReturnType<typeof jsonRpcError>;

export type ModernValidationResult =
  | { ok: true }
  | { ok: false; status: 400; jsonRpcError: JsonRpcErrorBody };

const fail = (
  id: RequestId | undefined,
  code: number,
  message: string,
  data?: unknown,
): ModernValidationResult => ({
  ok: false,
  status: 400,
  jsonRpcError: jsonRpcError(id, code, message, data),
});

/** Reads one header; a repeated header is malformed (`null`). */
function single(headers: HeaderBag, name: string): string | undefined | null {
  const v = headers[name];
  if (Array.isArray(v)) return v.length === 1 ? (v[0] as string) : null;
  return v as string | undefined;
}

/** The 2026-07-28 UnsupportedProtocolVersionError body (-32022, data {supported, requested}). */
export function unsupportedVersionError(
  id: RequestId | null | undefined,
  requested: string,
  supported: readonly string[] = MODERN_PROTOCOL_VERSIONS,
): JsonRpcErrorBody {
  return jsonRpcError(
    id,
    JsonRpcErrorCodes.UNSUPPORTED_PROTOCOL_VERSION,
    "Unsupported protocol version",
    {
      supported: [...supported],
      requested,
    },
  );
}

/**
 * Checks the body-level `_meta` fields every modern request must carry
 * (protocol version supported, client capabilities present). Shared by the
 * HTTP validation and the gateway itself.
 */
export function validateModernMeta(
  message: unknown,
  supportedVersions: readonly string[] = MODERN_PROTOCOL_VERSIONS,
  advertisedVersions: readonly string[] = supportedVersions,
): ModernValidationResult {
  const id = messageId(message);
  const meta = requestMeta(message);
  const version = meta?.[META.protocolVersion];
  if (typeof version !== "string") {
    return fail(id, JsonRpcErrorCodes.INVALID_PARAMS, `Missing _meta "${META.protocolVersion}"`);
  }
  if (!supportedVersions.includes(version)) {
    return {
      ok: false,
      status: 400,
      jsonRpcError: unsupportedVersionError(id, version, advertisedVersions),
    };
  }
  const caps = meta?.[META.clientCapabilities];
  if (typeof caps !== "object" || caps === null || Array.isArray(caps)) {
    return fail(id, JsonRpcErrorCodes.INVALID_PARAMS, `Missing _meta "${META.clientCapabilities}"`);
  }
  return { ok: true };
}

/**
 * Validates a modern POST: `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`
 * and `Mcp-Param-*` against the body (-32020 HeaderMismatch on absence or
 * mismatch), the version (-32022) and the required `_meta` (-32602), all 400.
 * Unknown `Mcp-Param-*` headers are tolerated. Notifications carry no header
 * requirements in this revision and pass.
 */
export function validateModernRequest(input: ModernValidationInput): ModernValidationResult {
  const { headers, message } = input;
  const supported = input.supportedVersions ?? MODERN_PROTOCOL_VERSIONS;
  if (typeof message !== "object" || message === null) {
    return fail(undefined, JsonRpcErrorCodes.INVALID_REQUEST, "Not a JSON-RPC request");
  }
  const m = message as { id?: unknown; method?: unknown; params?: Record<string, unknown> };
  const id = messageId(message);
  if (typeof m.method !== "string") {
    return fail(id, JsonRpcErrorCodes.INVALID_REQUEST, "Not a JSON-RPC request");
  }
  if (id === undefined) return { ok: true };
  const mismatch = (text: string) =>
    fail(id, JsonRpcErrorCodes.HEADER_MISMATCH, `Header mismatch: ${text}`);

  const bodyVersion = requestMeta(message)?.[META.protocolVersion];
  const headerVersion = single(headers, "mcp-protocol-version");
  if (headerVersion === undefined || headerVersion === null) {
    return mismatch("MCP-Protocol-Version header is missing or repeated");
  }
  if (typeof bodyVersion === "string" && headerVersion !== bodyVersion) {
    return mismatch(
      `MCP-Protocol-Version header value '${headerVersion}' does not match body value '${bodyVersion}'`,
    );
  }
  const meta = validateModernMeta(message, supported, input.advertisedVersions ?? supported);
  if (!meta.ok) return meta;

  const method = single(headers, "mcp-method");
  if (method === undefined || method === null)
    return mismatch("Mcp-Method header is missing or repeated");
  if (method !== m.method) {
    return mismatch(`Mcp-Method header value '${method}' does not match body value '${m.method}'`);
  }

  const nameField = NAMED_METHODS[m.method];
  if (nameField) {
    const raw = single(headers, "mcp-name");
    if (raw === undefined || raw === null)
      return mismatch("Mcp-Name header is missing or repeated");
    const decoded = decodeHeaderValue(raw);
    if (decoded === undefined) return mismatch("Mcp-Name header value is malformed");
    const bodyName = m.params?.[nameField];
    if (decoded !== bodyName) {
      return mismatch(
        `Mcp-Name header value '${decoded}' does not match body value '${String(bodyName)}'`,
      );
    }
  }

  if (m.method === "tools/call" && input.toolInputSchema !== undefined) {
    const args = m.params?.arguments;
    for (const param of mcpHeaderParams(input.toolInputSchema).params) {
      const headerName = `mcp-param-${param.name.toLowerCase()}`;
      const raw = single(headers, headerName);
      const value = valueAtPath(args, param.path);
      const label = `Mcp-Param-${param.name}`;
      if (raw === null) return mismatch(`${label} header is repeated`);
      if (value === undefined || value === null) {
        if (raw !== undefined)
          return mismatch(`${label} header is present but the argument is absent`);
        continue;
      }
      if (raw === undefined) return mismatch(`${label} header is missing`);
      const decoded = decodeHeaderValue(raw);
      if (decoded === undefined) return mismatch(`${label} header value is malformed`);
      if (!paramMatches(decoded, value)) {
        return mismatch(`${label} header value '${decoded}' does not match the body value`);
      }
    }
  }
  return { ok: true };
}

function paramMatches(header: string, value: unknown): boolean {
  if (typeof value === "number") {
    // Integers compare numerically ("42.0" equals 42), never as strings.
    if (header.trim() === "" || !/^[-+]?\d+(\.0*)?$/.test(header.trim())) return false;
    return Number(header) === value;
  }
  if (typeof value === "boolean") return header === (value ? "true" : "false");
  return typeof value === "string" && header === value;
}

/**
 * Builds the headers a modern client sends with `message` (a JSON-RPC request
 * carrying `_meta`): `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` where
 * the method has one, and `Mcp-Param-*` from the tool's `x-mcp-header`
 * annotations when `toolInputSchema` is given. Values are encoded per the spec.
 */
export function modernRequestHeaders(
  message: unknown,
  toolInputSchema?: unknown,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (typeof message !== "object" || message === null) return headers;
  const m = message as { method?: unknown; params?: Record<string, unknown> };
  const version = requestMeta(message)?.[META.protocolVersion];
  if (typeof version === "string") headers["MCP-Protocol-Version"] = version;
  if (typeof m.method !== "string") return headers;
  headers["Mcp-Method"] = m.method;
  const nameField = NAMED_METHODS[m.method];
  const name = nameField ? m.params?.[nameField] : undefined;
  if (typeof name === "string") headers["Mcp-Name"] = encodeHeaderValue(name);
  if (m.method === "tools/call" && toolInputSchema !== undefined) {
    for (const param of mcpHeaderParams(toolInputSchema).params) {
      const text = headerTextFor(valueAtPath(m.params?.arguments, param.path));
      if (text !== undefined) headers[`Mcp-Param-${param.name}`] = encodeHeaderValue(text);
    }
  }
  return headers;
}

/**
 * The HTTP status for a JSON-RPC error a modern request ends with: 400 for
 * HeaderMismatch, MissingRequiredClientCapability and UnsupportedProtocolVersion,
 * 404 for Method not found (so a stdio upstream's -32601 becomes 404), else 200.
 */
export function modernErrorStatus(code: number): number {
  if (
    code === JsonRpcErrorCodes.HEADER_MISMATCH ||
    code === JsonRpcErrorCodes.MISSING_REQUIRED_CLIENT_CAPABILITY ||
    code === JsonRpcErrorCodes.UNSUPPORTED_PROTOCOL_VERSION
  ) {
    return 400;
  }
  return code === JsonRpcErrorCodes.METHOD_NOT_FOUND ? 404 : 200;
}
