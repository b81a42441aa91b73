// Lifecycle edges: close() while a session is still being created, a refusing
// onConnect, onClose exactly once, and request ids that would lose an answer.
import { isAlive, waitFor } from "@mcp-proxy/test-utils";
import { describe, expect, it } from "vitest";
import type { SessionInfo } from "../src/index.js";
import {
  connectSse,
  initializeBody,
  pidRecordingEchoUpstream,
  postMcp,
  rawInitialize,
  startEcho,
} from "./helpers.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("close() while a session is being created", () => {
  it.each([
    ["streamable", "/mcp"],
    ["sse", "/sse"],
  ])("%s: lets it finish, then ends it, and leaves no child", async (_name, path) => {
    const pids: number[] = [];
    const events: string[] = [];
    const spawn = pidRecordingEchoUpstream(pids);
    let creating = false;
    const handle = await startEcho({
      createUpstream: async () => {
        creating = true;
        await sleep(400);
        return spawn();
      },
      onConnect: () => void events.push("connect"),
      onClose: () => void events.push("close"),
    });
    const request =
      path === "/mcp"
        ? postMcp(handle.url, JSON.stringify(initializeBody(9)))
        : fetch(`${handle.url}/sse`, { headers: { Accept: "text/event-stream" } });
    const settled = request.then(
      (res) => res.text(),
      () => "",
    );
    // close() only once the session is being created, however slow the machine.
    await waitFor(() => creating);
    await handle.close();
    // close() waited for the creation: the child exists and is already on its way out.
    expect(pids).toHaveLength(1);
    await waitFor(() => !isAlive(pids[0] as number), 3000);
    await settled;
    await waitFor(() => events.length === 2);
    expect(events).toEqual(["connect", "close"]);
  });

  it("refuses a creation that outlives the grace period and leaves no child", async () => {
    const pids: number[] = [];
    const events: string[] = [];
    const spawn = pidRecordingEchoUpstream(pids);
    let creating = false;
    const handle = await startEcho({
      closeGracePeriod: 100,
      createUpstream: async () => {
        creating = true;
        await sleep(400);
        return spawn();
      },
      onConnect: () => void events.push("connect"),
    });
    const answered = postMcp(handle.url, JSON.stringify(initializeBody(9))).then(
      async (res) => ({ status: res.status, body: await res.text() }),
      (error: unknown) => ({ status: 0, body: String(error) }),
    );
    await waitFor(() => creating);
    await handle.close();
    // The creation refused itself before close() resolved: its child is gone or going.
    expect(pids.length).toBeLessThanOrEqual(1);
    for (const pid of pids) await waitFor(() => !isAlive(pid), 3000);
    expect(events).toEqual([]);
    const { status } = await answered;
    expect([0, 503]).toContain(status);
  });
});

describe("a refusing onConnect", () => {
  it.each([false, true])("leaves no child (stateless: %s)", async (stateless) => {
    const pids: number[] = [];
    const closed: SessionInfo[] = [];
    const handle = await startEcho({
      stateless,
      createUpstream: pidRecordingEchoUpstream(pids),
      onConnect: () => {
        throw new Error("not today");
      },
      onClose: (info) => void closed.push(info),
    });
    for (const id of [1, 2]) {
      const res = await postMcp(handle.url, JSON.stringify(initializeBody(id)));
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.headers.get("mcp-session-id")).toBeNull();
      await res.text();
    }
    expect(pids.length).toBe(2);
    for (const pid of pids) await waitFor(() => !isAlive(pid), 3000);
    await handle.close();
    expect(closed).toEqual([]);
  });
});

describe("onClose", () => {
  it("runs once for a legacy SSE session ended by close()", async () => {
    const closed: string[] = [];
    const handle = await startEcho({
      onClose: (info) => void closed.push(`${info.transport}:${info.sessionId}`),
    });
    const client = await connectSse(`${handle.url}/sse`);
    await client.listTools();
    await handle.close();
    await waitFor(() => closed.length >= 1);
    await sleep(100);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatch(/^sse:/);
  });
});

describe("request ids", () => {
  it("refuses a request whose id is still in flight in the session, and answers the first", async () => {
    const { url } = await startEcho();
    const sessionId = await rawInitialize(url);
    const headers = { "Mcp-Session-Id": sessionId, "MCP-Protocol-Version": "2025-06-18" };
    const call = (name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 5,
        method: "tools/call",
        params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
      });
    // An SSE-only POST with a progress token: its headers arrive with the first progress
    // event, so the call is certainly in flight when the duplicate is sent.
    const first = await postMcp(
      url,
      call("slow", { ms: 1000, steps: 2 }, { progressToken: "p5" }),
      { ...headers, Accept: "text/event-stream" },
    );
    expect(first.headers.get("content-type")).toContain("text/event-stream");
    const duplicate = await postMcp(url, call("echo", { text: "dup" }), headers);
    expect(duplicate.status).toBe(400);
    const refused = (await duplicate.json()) as { error: { code: number; message: string } };
    expect(refused.error.code).toBe(-32600);
    expect(refused.error.message).toMatch(/still in flight/);
    // The first call still gets its own answer.
    const events = await first.text();
    const answer = events
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice(6)) as { id?: number; result?: unknown })
      .find((m) => m.id === 5);
    expect(answer?.result).toBeDefined();
  });

  it("refuses a batch that uses one request id twice", async () => {
    const { url } = await startEcho();
    const sessionId = await rawInitialize(url);
    const ping = { jsonrpc: "2.0", id: 7, method: "ping" };
    const res = await postMcp(url, JSON.stringify([ping, ping]), {
      "Mcp-Session-Id": sessionId,
      "MCP-Protocol-Version": "2025-03-26",
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error).toMatchObject({ code: -32600 });
    expect(body.error.message).toMatch(/twice/);
  });
});
