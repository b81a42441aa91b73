// A message's known JSON text (see src/json-text.ts): a stateful session
// writes an upstream's own text as it is; stateless mode, which rewrites ids
// in place, never does.

import { JSON_TEXT, jsonTextOf } from "@mcp-proxy/core/internal";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { startEcho } from "./helpers.js";

const HEADERS = {
  "Content-Type": "application/json",
  Accept: "application/json, text/event-stream",
};

/**
 * An upstream that answers every request with `{}` (initialize with a result) and, like a
 * stdio server, prints its own JSON: spaced out, so it differs from JSON.stringify's. It
 * records that text on the message it emits, the way a producer following the contract does.
 */
function spacedUpstream(): Transport {
  const t: Transport = {
    start: async () => undefined,
    close: async () => t.onclose?.(),
    send: async (message: JSONRPCMessage) => {
      const m = message as { id?: string | number; method?: string };
      if (m.id === undefined) return;
      const result =
        m.method === "initialize"
          ? {
              protocolVersion: "2025-06-18",
              capabilities: { tools: {} },
              serverInfo: { name: "spaced", version: "1" },
            }
          : { echoed: m.method };
      const text = `{ "jsonrpc": "2.0", "id": ${JSON.stringify(m.id)}, "result": ${JSON.stringify(result, null, 1).replace(/\n/g, " ")} }`;
      const parsed = JSON.parse(text) as JSONRPCMessage;
      Object.defineProperty(parsed, JSON_TEXT, { value: text });
      queueMicrotask(() => t.onmessage?.(parsed));
    },
  };
  return t;
}

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "t", version: "1" },
  },
});

const call = (id: number | string) =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", params: {} });

describe("known JSON text", () => {
  it("reads the text a producer recorded, and nothing from a plain or copied message", () => {
    const message = { jsonrpc: "2.0", id: 1, result: {} };
    expect(jsonTextOf(message)).toBeUndefined();
    Object.defineProperty(message, JSON_TEXT, { value: '{"id":1}' });
    expect(jsonTextOf(message)).toBe('{"id":1}');
    expect(jsonTextOf({ ...message })).toBeUndefined();
    expect(JSON.stringify(message)).toBe('{"jsonrpc":"2.0","id":1,"result":{}}');
  });

  it("a stateful session answers with the upstream's own text", async () => {
    const { url } = await startEcho({ createUpstream: spacedUpstream });
    const init = await fetch(`${url}/mcp`, { method: "POST", headers: HEADERS, body: initialize });
    const initText = await init.text();
    expect(initText.startsWith('{ "jsonrpc": "2.0", "id": 0,')).toBe(true);
    const session = init.headers.get("mcp-session-id") ?? "";
    const headers = { ...HEADERS, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18" };
    const one = await fetch(`${url}/mcp`, { method: "POST", headers, body: call(7) });
    expect(await one.text()).toBe(
      '{ "jsonrpc": "2.0", "id": 7, "result": {  "echoed": "tools/list" } }',
    );
    const batch = await fetch(`${url}/mcp`, {
      method: "POST",
      headers,
      body: `[${call(8)},${call("nine")}]`,
    });
    const texts = await batch.text();
    expect(texts).toContain('{ "jsonrpc": "2.0", "id": 8, "result": {  "echoed": "tools/list" } }');
    expect(JSON.parse(texts)).toEqual([
      { jsonrpc: "2.0", id: 8, result: { echoed: "tools/list" } },
      { jsonrpc: "2.0", id: "nine", result: { echoed: "tools/list" } },
    ]);
    const sse = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...headers, Accept: "text/event-stream" },
      body: call(10),
    });
    expect(await sse.text()).toContain(
      'data: { "jsonrpc": "2.0", "id": 10, "result": {  "echoed": "tools/list" } }\n\n',
    );
  });

  it("stateless mode, which remaps ids in place, answers with the client's id", async () => {
    const { url } = await startEcho({ createUpstream: spacedUpstream, stateless: true });
    for (const id of [1, 2, "three"]) {
      const res = await fetch(`${url}/mcp`, {
        method: "POST",
        headers: { ...HEADERS, "MCP-Protocol-Version": "2025-06-18" },
        body: call(id),
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(await res.text())).toEqual({
        jsonrpc: "2.0",
        id,
        result: { echoed: "tools/list" },
      });
    }
  });
});
