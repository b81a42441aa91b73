import { describe, expect, it } from "vitest";
import {
  classifyEra,
  modernErrorStatus,
  modernRequestHeaders,
  validateModernRequest,
} from "../src/index.js";
import {
  decodeHeaderValue,
  encodeHeaderValue,
  mcpHeaderParams,
} from "../src/protocol/header-values.js";
import { modernRequest } from "./modern-helpers.js";

const toolCall = (
  args: Record<string, unknown> = { location: "Seattle, WA" },
  name = "get_weather",
) => modernRequest(1, "tools/call", { name, arguments: args });

const lower = (h: Record<string, string>) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

const headersFor = (message: unknown, schema?: unknown) =>
  lower(modernRequestHeaders(message, schema));

const code = (r: ReturnType<typeof validateModernRequest>) =>
  r.ok ? undefined : r.jsonRpcError.error.code;

describe("classifyEra", () => {
  it("tells the eras apart by content", () => {
    expect(classifyEra({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} })).toBe("legacy");
    expect(
      classifyEra({ jsonrpc: "2.0", id: 1, method: "tools/list" }, { "mcp-session-id": "s" }),
    ).toBe("legacy");
    expect(classifyEra(modernRequest(1, "tools/list"))).toBe("modern");
    expect(classifyEra(modernRequest(1, "tools/list"), { "mcp-session-id": "stale" })).toBe(
      "modern",
    );
    expect(
      classifyEra(
        { jsonrpc: "2.0", id: 1, method: "tools/list" },
        { "mcp-protocol-version": "2026-07-28" },
      ),
    ).toBe("modern");
    expect(
      classifyEra(
        { jsonrpc: "2.0", id: 1, method: "tools/list" },
        { "mcp-protocol-version": "2025-06-18" },
      ),
    ).toBe("legacy");
    expect(classifyEra({ jsonrpc: "2.0", id: 1, method: "tools/list" })).toBe("unknown");
    expect(classifyEra([])).toBe("unknown");
  });
});

describe("header value encoding", () => {
  it("keeps safe values plain and Base64-encodes the rest", () => {
    expect(encodeHeaderValue("us-west1")).toBe("us-west1");
    expect(encodeHeaderValue("Hello, 世界")).toBe("=?base64?SGVsbG8sIOS4lueVjA==?=");
    expect(encodeHeaderValue(" padded ")).toBe("=?base64?IHBhZGRlZCA=?=");
    expect(encodeHeaderValue("line1\nline2")).toBe("=?base64?bGluZTEKbGluZTI=?=");
    expect(encodeHeaderValue("=?base64?literal?=")).toBe("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
  });

  it("decodes the sentinel and rejects malformed values", () => {
    expect(decodeHeaderValue("=?base64?SGVsbG8sIOS4lueVjA==?=")).toBe("Hello, 世界");
    expect(decodeHeaderValue("plain")).toBe("plain");
    expect(decodeHeaderValue("=?base64?not*base64?=")).toBeUndefined();
    expect(decodeHeaderValue("bad\u0001value")).toBeUndefined();
  });

  it("collects x-mcp-header annotations reachable through properties only", () => {
    const { params, invalid } = mcpHeaderParams({
      type: "object",
      properties: {
        region: { type: "string", "x-mcp-header": "Region" },
        nested: { type: "object", properties: { id: { type: "integer", "x-mcp-header": "Id" } } },
        ratio: { type: "number", "x-mcp-header": "Ratio" },
        dup: { type: "string", "x-mcp-header": "region" },
      },
      items: { properties: { hidden: { type: "string", "x-mcp-header": "Hidden" } } },
    });
    expect(params.map((p) => p.name)).toEqual(["Region", "Id"]);
    expect(params[1]?.path).toEqual(["nested", "id"]);
    expect(invalid.sort()).toEqual(["dup", "ratio"]);
  });
});

describe("validateModernRequest", () => {
  it("accepts a request shaped as the spec shows it", () => {
    const message = toolCall();
    expect(headersFor(message)).toEqual({
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "get_weather",
    });
    expect(validateModernRequest({ headers: headersFor(message), message })).toEqual({ ok: true });
  });

  it("rejects a missing or mismatched MCP-Protocol-Version with -32020", () => {
    const message = toolCall();
    const headers = headersFor(message);
    const { "mcp-protocol-version": _, ...without } = headers;
    expect(code(validateModernRequest({ headers: without, message }))).toBe(-32020);
    const r = validateModernRequest({
      headers: { ...headers, "mcp-protocol-version": "2025-11-25" },
      message,
    });
    expect(r.ok ? 0 : r.status).toBe(400);
    expect(code(r)).toBe(-32020);
  });

  it("rejects an unsupported version with -32022 listing the supported ones", () => {
    const message = toolCall();
    (message.params as { _meta: Record<string, unknown> })._meta[
      "io.modelcontextprotocol/protocolVersion"
    ] = "1900-01-01";
    const r = validateModernRequest({ headers: headersFor(message), message });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.status).toBe(400);
      expect(r.jsonRpcError.error).toMatchObject({
        code: -32022,
        data: { supported: ["2026-07-28"], requested: "1900-01-01" },
      });
    }
  });

  it("rejects missing client capabilities with -32602", () => {
    const message = toolCall();
    delete (message.params as { _meta: Record<string, unknown> })._meta[
      "io.modelcontextprotocol/clientCapabilities"
    ];
    expect(code(validateModernRequest({ headers: headersFor(message), message }))).toBe(-32602);
  });

  it("checks Mcp-Method", () => {
    const message = toolCall();
    const headers = headersFor(message);
    expect(
      code(validateModernRequest({ headers: { ...headers, "mcp-method": "tools/list" }, message })),
    ).toBe(-32020);
    const { "mcp-method": _, ...without } = headers;
    expect(code(validateModernRequest({ headers: without, message }))).toBe(-32020);
  });

  it("checks Mcp-Name for tools/call, resources/read and prompts/get, decoding the sentinel", () => {
    const message = toolCall();
    const headers = headersFor(message);
    expect(
      code(validateModernRequest({ headers: { ...headers, "mcp-name": "other" }, message })),
    ).toBe(-32020);
    const { "mcp-name": _, ...without } = headers;
    expect(code(validateModernRequest({ headers: without, message }))).toBe(-32020);

    const read = modernRequest(2, "resources/read", { uri: "file:///projects/my app/ü.json" });
    const readHeaders = headersFor(read);
    expect(readHeaders["mcp-name"]?.startsWith("=?base64?")).toBe(true);
    expect(validateModernRequest({ headers: readHeaders, message: read })).toEqual({ ok: true });

    const prompt = modernRequest(3, "prompts/get", { name: "greet", arguments: { name: "Ada" } });
    expect(validateModernRequest({ headers: headersFor(prompt), message: prompt })).toEqual({
      ok: true,
    });
    const list = modernRequest(4, "tools/list");
    expect(headersFor(list)["mcp-name"]).toBeUndefined();
    expect(validateModernRequest({ headers: headersFor(list), message: list })).toEqual({
      ok: true,
    });
  });

  it("checks Mcp-Param headers against x-mcp-header annotations", () => {
    const schema = {
      type: "object",
      properties: {
        region: { type: "string", "x-mcp-header": "Region" },
        limit: { type: "integer", "x-mcp-header": "Limit" },
        dry: { type: "boolean", "x-mcp-header": "Dry" },
        query: { type: "string" },
      },
    };
    const message = toolCall(
      { region: "us-west1", limit: 42, dry: false, query: "SELECT 1" },
      "execute_sql",
    );
    const headers = headersFor(message, schema);
    expect(headers).toMatchObject({
      "mcp-param-region": "us-west1",
      "mcp-param-limit": "42",
      "mcp-param-dry": "false",
    });
    const ok = (h: Record<string, string>) =>
      validateModernRequest({ headers: h, message, toolInputSchema: schema });
    expect(ok(headers)).toEqual({ ok: true });
    // Integers compare numerically; unknown Mcp-Param headers are tolerated.
    expect(ok({ ...headers, "mcp-param-limit": "42.0", "mcp-param-extra": "x" })).toEqual({
      ok: true,
    });
    expect(code(ok({ ...headers, "mcp-param-limit": "43" }))).toBe(-32020);
    expect(code(ok({ ...headers, "mcp-param-region": "eu-west1" }))).toBe(-32020);
    expect(code(ok({ ...headers, "mcp-param-dry": "true" }))).toBe(-32020);
    const { "mcp-param-region": _, ...missing } = headers;
    expect(code(ok(missing))).toBe(-32020);
    // An absent or null argument must come without its header.
    const sparse = toolCall({ region: null, query: "x" }, "execute_sql");
    const sparseHeaders = headersFor(sparse, schema);
    expect(sparseHeaders["mcp-param-region"]).toBeUndefined();
    expect(
      validateModernRequest({ headers: sparseHeaders, message: sparse, toolInputSchema: schema }),
    ).toEqual({
      ok: true,
    });
    expect(
      code(
        validateModernRequest({
          headers: { ...sparseHeaders, "mcp-param-region": "us" },
          message: sparse,
          toolInputSchema: schema,
        }),
      ),
    ).toBe(-32020);
  });

  it("maps modern error codes to HTTP statuses", () => {
    expect(modernErrorStatus(-32020)).toBe(400);
    expect(modernErrorStatus(-32021)).toBe(400);
    expect(modernErrorStatus(-32022)).toBe(400);
    expect(modernErrorStatus(-32601)).toBe(404);
    expect(modernErrorStatus(-32603)).toBe(200);
  });
});
