// Unit tests for the pure pieces: CORS header building, SSE framing, body
// parsing, Origin/Host policy, constant-time key comparison and era classification.
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { safeEqual } from "../src/auth.js";
import { parseJsonRpc } from "../src/body.js";
import { applyCors, resolveCors } from "../src/cors.js";
import { createOriginHostPolicy } from "../src/origin-host.js";
import { requestIdOf } from "../src/refusals.js";
import { formatEvent } from "../src/sse-writer.js";
import { classifyPost } from "../src/streamable-handler.js";

const fakeReq = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
function fakeRes() {
  const headers: Record<string, string> = {};
  return {
    headers,
    res: {
      setHeader: (k: string, v: string) => {
        headers[k.toLowerCase()] = v;
      },
    } as unknown as ServerResponse,
  };
}

describe("cors", () => {
  it("reflects the origin with credentials and never sends *", () => {
    const { headers, res } = fakeRes();
    applyCors(
      resolveCors({ origin: "*", credentials: true }),
      fakeReq({ origin: "https://a.example" }),
      res,
    );
    expect(headers["access-control-allow-origin"]).toBe("https://a.example");
    expect(headers["access-control-allow-credentials"]).toBe("true");
  });

  it("sends * without credentials when asked, and nothing for a disallowed origin", () => {
    const star = fakeRes();
    applyCors(resolveCors({ origin: "*" }), fakeReq({ origin: "https://a.example" }), star.res);
    expect(star.headers["access-control-allow-origin"]).toBe("*");
    const denied = fakeRes();
    expect(
      applyCors(
        resolveCors({ origin: (o) => o.endsWith(".ok") }),
        fakeReq({ origin: "https://x.bad" }),
        denied.res,
      ),
    ).toBe(false);
    expect(denied.headers["access-control-allow-origin"]).toBeUndefined();
    expect(resolveCors(false)).toBeUndefined();
  });
});

describe("sse framing", () => {
  it("formats an event with and without an id", () => {
    expect(formatEvent('{"a":1}', "s~1")).toBe('id: s~1\nevent: message\ndata: {"a":1}\n\n');
    expect(formatEvent("/messages?sessionId=x", undefined, "endpoint")).toBe(
      "event: endpoint\ndata: /messages?sessionId=x\n\n",
    );
  });
});

describe("body parsing", () => {
  it("accepts one message or a batch and reports ids of invalid ones", () => {
    expect(parseJsonRpc(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}'))).toMatchObject({
      batch: false,
    });
    expect(parseJsonRpc(Buffer.from('[{"jsonrpc":"2.0","method":"n"}]')).batch).toBe(true);
    expect(() => parseJsonRpc(Buffer.from("nope"))).toThrow(/Parse error/);
    let invalid: unknown;
    try {
      parseJsonRpc(Buffer.from('{"jsonrpc":"1.0","id":3,"method":"x"}'));
    } catch (error) {
      invalid = error;
    }
    expect(invalid).toMatchObject({ code: "ERR_INVALID_MESSAGE" });
    expect(requestIdOf(invalid)).toBe(3);
  });
});

describe("origin and host policy", () => {
  it("checks Host only on loopback binds", () => {
    const loopback = createOriginHostPolicy({}, "127.0.0.1");
    expect(() => loopback.check(fakeReq({ host: "evil.example" }))).toThrow(/Host/);
    expect(() => loopback.check(fakeReq({ host: "[::1]:3000" }))).not.toThrow();
    const open = createOriginHostPolicy({}, "0.0.0.0");
    expect(() => open.check(fakeReq({ host: "proxy.example" }))).not.toThrow();
    expect(() =>
      open.check(fakeReq({ host: "proxy.example", origin: "http://localhost:3000" })),
    ).toThrow(/Origin/);
    expect(() =>
      open.check(fakeReq({ host: "proxy.example", origin: "https://proxy.example" })),
    ).not.toThrow();
    const listed = createOriginHostPolicy({ allowedHosts: ["mcp.internal"] }, "127.0.0.1");
    expect(() => listed.check(fakeReq({ host: "mcp.internal:80" }))).not.toThrow();
  });
});

describe("safeEqual", () => {
  it("compares keys of any length", () => {
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("abc", "abcd")).toBe(false);
    expect(safeEqual("", "x")).toBe(false);
  });
});

describe("classifyPost", () => {
  const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28" };
  const body = (message: object, batch = false) =>
    parseJsonRpc(Buffer.from(JSON.stringify(batch ? [message] : message)));
  const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: {} };
  const list = { jsonrpc: "2.0", id: 2, method: "tools/list" };

  it("reads the _meta protocol version before anything else", () => {
    expect(classifyPost(fakeReq({}), body({ ...init, params: { _meta: meta } }))).toBe("modern");
    expect(
      classifyPost(fakeReq({ "mcp-session-id": "s" }), body({ ...list, params: { _meta: meta } })),
    ).toBe("modern");
    expect(classifyPost(fakeReq({}), body({ ...list, params: { _meta: meta } }, true))).toBe(
      "legacy",
    );
  });

  it("takes a 2026-07-28 version header without a session as modern", () => {
    expect(classifyPost(fakeReq({ "mcp-protocol-version": "2026-07-28" }), body(list))).toBe(
      "modern",
    );
    const withSession = { "mcp-protocol-version": "2026-07-28", "mcp-session-id": "s" };
    expect(classifyPost(fakeReq(withSession), body(list))).toBe("legacy");
    expect(classifyPost(fakeReq({ "mcp-protocol-version": "2025-11-25" }), body(list))).toBe(
      "legacy",
    );
    expect(classifyPost(fakeReq({}), body(init))).toBe("legacy");
  });
});
