import { ChildProcessTransport } from "@mcp-proxy/core";
import { echoServerCommand } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  createHumanFormatter,
  createJsonLinesFormatter,
  type TapEvent,
  tapTransport,
} from "../src/index.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const SECRET = "sk-live-123";
const BEARER = "Bearer very-secret";

describe("formatters on real traffic", () => {
  it("write one redacted line per event, with latency on responses", async () => {
    const inner = new ChildProcessTransport(echoServerCommand());
    cleanups.push(() => inner.close());
    const human = createHumanFormatter({ label: "echo" });
    const jsonl = createJsonLinesFormatter({ label: "echo" });
    const events: TapEvent[] = [];
    const humanLines: string[] = [];
    const jsonLines: string[] = [];
    const tapped = tapTransport(inner, (event) => {
      events.push(event);
      humanLines.push(human(event));
      jsonLines.push(jsonl(event));
    });
    const client = new Client({ name: "tap-test", version: "1.0.0" });
    await client.connect(tapped);
    const echoed = await client.callTool({
      name: "echo",
      arguments: { text: "hi", apiKey: SECRET, headers: { Authorization: BEARER } },
    });
    expect(echoed.content).toEqual([{ type: "text", text: "hi" }]);
    await client.close();

    expect(humanLines).toHaveLength(events.length);
    expect(jsonLines).toHaveLength(events.length);
    for (const line of [...humanLines, ...jsonLines]) {
      expect(line).not.toMatch(/[\r\n]/);
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain("very-secret");
    }

    const callLine = humanLines.find((line) => line.includes("→ tools/call #1"));
    expect(callLine).toMatch(/^\d\d:\d\d:\d\d\.\d{3} \[echo\] → tools\/call #1 \{/);
    expect(callLine).toContain('"apiKey":"[REDACTED]"');
    expect(callLine).toContain('"Authorization":"[REDACTED]"');
    const responseLines = humanLines.filter((line) => /← #\d/.test(line));
    expect(responseLines).toHaveLength(2);
    for (const line of responseLines) expect(line).toMatch(/← #\d+ \S+ \(\d+\.\d+m?s\)/);
    expect(responseLines[1]).toContain("tools/call");
    expect(humanLines[0]).toMatch(/\[echo\] ● start$/);
    expect(humanLines.at(-1)).toMatch(/\[echo\] ■ close$/);

    const records = jsonLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => r.type)).toEqual(events.map((e) => e.type));
    for (const record of records) expect(record.label).toBe("echo");
    const call = records.find(
      (r) => (r.message as { method?: string } | undefined)?.method === "tools/call",
    );
    expect(call?.message).toMatchObject({
      params: {
        arguments: { text: "hi", apiKey: "[REDACTED]", headers: { Authorization: "[REDACTED]" } },
      },
    });
    const responses = records.filter((r) => r.type === "message" && "latencyMs" in r);
    expect(responses.map((r) => r.method)).toEqual(["initialize", "tools/call"]);
    for (const r of responses) expect(typeof r.latencyMs).toBe("number");

    // Redaction copied: the message the client sent still carries its real values.
    const sent = events.find(
      (e) => e.type === "send" && "method" in e.message && e.message.method === "tools/call",
    );
    expect(sent).toMatchObject({
      message: { params: { arguments: { apiKey: SECRET, headers: { Authorization: BEARER } } } },
    });
  });
});

const at = (time: number, type: "send" | "message", message: JSONRPCMessage): TapEvent => ({
  type,
  time,
  message,
});

describe("createHumanFormatter", () => {
  it("pairs responses with requests per direction", () => {
    const format = createHumanFormatter();
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    format(at(t0, "send", { jsonrpc: "2.0", id: 1, method: "tools/list" }));
    // The peer uses id 1 too, for its own request: a separate table.
    format(at(t0 + 1, "message", { jsonrpc: "2.0", id: 1, method: "roots/list" }));
    const ours = format(at(t0 + 12.5, "message", { jsonrpc: "2.0", id: 1, result: { tools: [] } }));
    const theirs = format(at(t0 + 3, "send", { jsonrpc: "2.0", id: 1, result: { roots: [] } }));
    expect(ours).toMatch(/← #1 tools\/list \(12\.5ms\) \{"tools":\[\]\}$/);
    expect(theirs).toMatch(/→ #1 roots\/list \(2\.0ms\) \{"roots":\[\]\}$/);
    // Answered once: a repeated response has no request left to pair with.
    expect(format(at(t0 + 20, "message", { jsonrpc: "2.0", id: 1, result: {} }))).toMatch(
      /← #1 \{\}$/,
    );
  });

  it("shows notifications, errors and lifecycle events on one line each", () => {
    const format = createHumanFormatter({ label: "up" });
    const t0 = Date.now();
    expect(format({ type: "start", time: t0 })).toMatch(/\[up\] ● start$/);
    expect(format(at(t0, "send", { jsonrpc: "2.0", method: "notifications/initialized" }))).toMatch(
      /→ notifications\/initialized$/,
    );
    format(at(t0, "send", { jsonrpc: "2.0", id: "a", method: "nope" }));
    const error = format(
      at(t0 + 1500, "message", {
        jsonrpc: "2.0",
        id: "a",
        error: { code: -32601, message: "Method\nnot found" },
      }),
    );
    expect(error).toMatch(/← #a nope \(1\.50s\) error -32601 Method\\nnot found$/);
    const failure = Object.assign(new Error("pipe\nbroke"), { code: "EPIPE" });
    expect(format({ type: "error", time: t0, error: failure })).toMatch(
      /✖ error Error \[EPIPE\]: pipe\\nbroke$/,
    );
    expect(format({ type: "close", time: t0 })).toMatch(/■ close$/);
    const odd = { jsonrpc: "1.0", foo: 1 } as unknown as JSONRPCMessage;
    expect(format(at(t0, "message", odd))).toMatch(/← invalid \{"jsonrpc":"1\.0","foo":1\}$/);
  });

  it("cuts long previews and redacts custom keys only", () => {
    const format = createHumanFormatter({ maxPreviewLength: 30, redactKeys: ["pin"] });
    const line = format(
      at(0, "send", {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: {
          name: "x",
          arguments: { pin: "1234", apiKey: "visible", text: "y".repeat(10_000) },
        },
      }),
    );
    const preview = line.slice(line.indexOf("{"));
    expect(preview).toHaveLength(30);
    expect(preview.endsWith("…")).toBe(true);
    const full = createHumanFormatter({ maxPreviewLength: 500, redactKeys: ["pin"] })(
      at(0, "send", {
        jsonrpc: "2.0",
        id: 1,
        method: "m",
        params: { pin: "1234", apiKey: "visible" },
      }),
    );
    expect(full).toContain('{"pin":"[REDACTED]","apiKey":"visible"}');
  });

  it("forgets requests never answered within the hour", () => {
    let clock = 0;
    const format = createHumanFormatter({ now: () => clock });
    format(at(0, "send", { jsonrpc: "2.0", id: 1, method: "slow" }));
    clock = 2 * 60 * 60 * 1000;
    format(at(clock, "send", { jsonrpc: "2.0", id: 2, method: "fast" }));
    expect(format(at(clock + 1, "message", { jsonrpc: "2.0", id: 1, result: {} }))).not.toContain(
      "slow",
    );
    expect(format(at(clock + 1, "message", { jsonrpc: "2.0", id: 2, result: {} }))).toContain(
      "fast (1.0ms)",
    );
  });
});

describe("createJsonLinesFormatter", () => {
  it("writes valid JSON with redacted messages and error details", () => {
    const format = createJsonLinesFormatter();
    const message: JSONRPCMessage = {
      jsonrpc: "2.0",
      id: 9,
      method: "tools/call",
      params: { name: "login", arguments: { password: "hunter2", user: "ada" } },
    };
    const record = JSON.parse(format(at(5, "send", message)));
    expect(record).toEqual({
      time: 5,
      type: "send",
      message: {
        ...message,
        params: { name: "login", arguments: { password: "[REDACTED]", user: "ada" } },
      },
    });
    expect(message.params).toEqual({
      name: "login",
      arguments: { password: "hunter2", user: "ada" },
    });
    expect(
      JSON.parse(format(at(7.25, "message", { jsonrpc: "2.0", id: 9, result: {} }))),
    ).toMatchObject({
      method: "tools/call",
      latencyMs: 2.25,
    });
    const failure = Object.assign(new TypeError("bad"), { code: "ERR_X" });
    expect(JSON.parse(format({ type: "error", time: 1, error: failure }))).toEqual({
      time: 1,
      type: "error",
      error: { name: "TypeError", message: "bad", code: "ERR_X" },
    });
  });
});
