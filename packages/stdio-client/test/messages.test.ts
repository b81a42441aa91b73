import { describe, expect, it } from "vitest";
import { isModernJsonRpcError } from "../src/messages.js";

const body = (code: number) =>
  JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message: "m" } });

describe("isModernJsonRpcError (auto-mode fallback rule)", () => {
  it("treats protocol refusals as a Streamable HTTP server speaking", () => {
    expect(isModernJsonRpcError(body(-32022))).toBe(true);
    expect(isModernJsonRpcError(body(-32601))).toBe(true);
    expect(isModernJsonRpcError(body(-32600))).toBe(true);
  });

  it("treats generic refusals and non-JSON-RPC bodies as fallback signals", () => {
    expect(isModernJsonRpcError(body(-32000))).toBe(false);
    expect(isModernJsonRpcError(body(-32001))).toBe(false);
    expect(isModernJsonRpcError("Method Not Allowed")).toBe(false);
    expect(isModernJsonRpcError('{"error":"nope"}')).toBe(false);
    expect(isModernJsonRpcError("")).toBe(false);
  });
});
