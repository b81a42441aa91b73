import { describe, expect, it } from "vitest";
import { classifyMessage, IdRemapper, isResponse, jsonRpcError, messageId } from "../src/index.js";

describe("classifyMessage", () => {
  it("classifies the four kinds", () => {
    expect(classifyMessage({ jsonrpc: "2.0", id: 1, method: "tools/list" })).toBe("request");
    expect(classifyMessage({ jsonrpc: "2.0", id: "a", method: "x", params: {} })).toBe("request");
    expect(classifyMessage({ jsonrpc: "2.0", method: "notifications/initialized" })).toBe(
      "notification",
    );
    expect(classifyMessage({ jsonrpc: "2.0", id: 1, result: {} })).toBe("response");
    expect(classifyMessage({ jsonrpc: "2.0", id: 1, error: { code: -1, message: "x" } })).toBe(
      "error",
    );
    expect(
      classifyMessage({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "x" } }),
    ).toBe("error");
  });

  it("rejects what is not JSON-RPC 2.0", () => {
    for (const value of [
      null,
      42,
      "x",
      [],
      {},
      { jsonrpc: "1.0", id: 1, method: "x" },
      { jsonrpc: "2.0", id: {}, method: "x" },
      { jsonrpc: "2.0", id: 1 },
      { jsonrpc: "2.0", id: null, result: {} },
      { jsonrpc: "2.0", method: 5 },
    ]) {
      expect(classifyMessage(value), JSON.stringify(value)).toBe("invalid");
    }
  });

  it("treats responses and errors as answers", () => {
    expect(isResponse({ jsonrpc: "2.0", id: 1, result: {} })).toBe(true);
    expect(isResponse({ jsonrpc: "2.0", id: 1, error: { code: 1, message: "" } })).toBe(true);
    expect(isResponse({ jsonrpc: "2.0", id: 1, method: "x" })).toBe(false);
  });
});

describe("jsonRpcError / messageId", () => {
  it("builds an error with a null id when unknown", () => {
    expect(jsonRpcError(undefined, -32700, "Parse error")).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32700, message: "Parse error" },
    });
    expect(jsonRpcError(7, -32600, "bad", { why: 1 }).error.data).toEqual({ why: 1 });
    expect(messageId({ jsonrpc: "2.0", id: "x", method: "m" })).toBe("x");
    expect(messageId({ jsonrpc: "2.0", method: "m" })).toBeUndefined();
  });
});

describe("IdRemapper", () => {
  it("gives colliding ids of different owners distinct upstream ids and maps back once", () => {
    const remap = new IdRemapper<string>("u");
    const a = remap.outgoing(1, "alice");
    const b = remap.outgoing(1, "bob");
    expect(a).not.toBe(b);
    expect(remap.size).toBe(2);
    expect(remap.peek(b)).toEqual({ originalId: 1, owner: "bob" });
    expect(remap.upstreamIdFor("alice", 1)).toBe(a);
    expect(remap.incoming(b)).toEqual({ originalId: 1, owner: "bob" });
    expect(remap.incoming(b)).toBeUndefined();
    expect(remap.incoming("unknown")).toBeUndefined();
    expect(remap.incoming(12)).toBeUndefined();
    expect(remap.incoming(a)).toEqual({ originalId: 1, owner: "alice" });
  });

  it("releases one owner's entries and drains the rest", () => {
    const remap = new IdRemapper<string>();
    remap.outgoing("x", "alice");
    remap.outgoing("y", "alice");
    const bobs = remap.outgoing("z", "bob");
    expect(remap.releaseOwner("alice").sort()).toEqual(["x", "y"]);
    expect(remap.size).toBe(1);
    expect(remap.drain()).toEqual([{ originalId: "z", owner: "bob" }]);
    expect(remap.incoming(bobs)).toBeUndefined();
  });
});
