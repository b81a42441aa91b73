import { describe, expect, it } from "vitest";
import { DEFAULT_REDACT_KEYS, redact } from "../src/index.js";

describe("redact", () => {
  it("replaces values of sensitive keys at any depth, including inside arrays", () => {
    const input = {
      params: { arguments: { apiKey: "sk-1", text: "hi" } },
      headers: { Authorization: "Bearer abc", Accept: "application/json" },
      list: [{ password: "p" }, { nested: [{ access_token: "t" }] }],
    };
    expect(redact(input)).toEqual({
      params: { arguments: { apiKey: "[REDACTED]", text: "hi" } },
      headers: { Authorization: "[REDACTED]", Accept: "application/json" },
      list: [{ password: "[REDACTED]" }, { nested: [{ access_token: "[REDACTED]" }] }],
    });
  });

  it("matches keys ignoring case, dashes and underscores", () => {
    const input = {
      "X-API-KEY": 1,
      api_key: 2,
      API_KEY: 3,
      "api-key": 4,
      Cookie: 5,
      SECRET: 6,
      Token: 7,
      bearer: 8,
    };
    for (const value of Object.values(redact(input) as Record<string, unknown>)) {
      expect(value).toBe("[REDACTED]");
    }
  });

  it("redacts whole subtrees under a sensitive key", () => {
    expect(redact({ token: { value: "x", expires: 1 } })).toEqual({ token: "[REDACTED]" });
  });

  it("leaves look-alike protocol fields visible", () => {
    const input = { _meta: { progressToken: 7 }, max_tokens: 100, nextCursor: "c", tokens: 3 };
    expect(redact(input)).toEqual(input);
  });

  it("returns a deep copy and never mutates its input", () => {
    const input = { a: { apiKey: "k", b: [1, { c: 2 }] } };
    const snapshot = structuredClone(input);
    const output = redact(input) as typeof input;
    expect(input).toEqual(snapshot);
    expect(output).not.toBe(input);
    expect(output.a.b).not.toBe(input.a.b);
    expect(output.a.b[1]).not.toBe(input.a.b[1]);
    expect(output.a.b).toEqual(input.a.b);
  });

  it("uses the given keys instead of the defaults", () => {
    const input = { apiKey: "k", sessionSecret: "s" };
    expect(redact(input, ["session-secret"])).toEqual({ apiKey: "k", sessionSecret: "[REDACTED]" });
    expect(redact(input, [])).toEqual(input);
    expect(redact(input, new Set([...DEFAULT_REDACT_KEYS, "sessionSecret"]))).toEqual({
      apiKey: "[REDACTED]",
      sessionSecret: "[REDACTED]",
    });
  });

  it("passes primitives through and survives cycles", () => {
    expect(redact("text")).toBe("text");
    expect(redact(null)).toBe(null);
    expect(redact(42)).toBe(42);
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({ name: "loop", self: "[Circular]" });
  });

  it("covers the usual credential names by default", () => {
    for (const key of ["authorization", "cookie", "x-api-key", "apiKey", "password", "token"]) {
      expect(DEFAULT_REDACT_KEYS).toContain(key);
    }
  });
});
