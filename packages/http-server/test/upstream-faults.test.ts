// A dying upstream answers its session's pending requests with an error at
// once, the session is removed, and other sessions carry on.

import { ChildProcessTransport } from "@mcp-proxy/core";
import { waitFor } from "@mcp-proxy/test-utils";
import { describe, expect, it } from "vitest";
import {
  connectStreamable,
  initializeBody,
  JSON_HEADERS,
  postMcp,
  rawInitialize,
  startEcho,
  textOf,
} from "./helpers.js";
import { modernRequest, postModern } from "./modern-helpers.js";
import { readSse, type SseEvent } from "./sse-client.js";

describe("upstream faults", () => {
  it("fails the pending requests of the dead session only", async () => {
    const closed: string[] = [];
    const { url } = await startEcho({ onClose: (s) => void closed.push(s.sessionId ?? "") });
    const healthy = await connectStreamable(`${url}/mcp`);
    const doomed = await rawInitialize(url);
    const headers = { ...JSON_HEADERS, "Mcp-Session-Id": doomed };
    // A slow call is in flight when the child exits.
    const pending = fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...headers, Accept: "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 5,
        method: "tools/call",
        params: { name: "slow", arguments: { ms: 30_000, steps: 1 } },
      }),
    });
    const exit = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...headers, Accept: "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 6,
        method: "tools/call",
        params: { name: "exit", arguments: { code: 3 } },
      }),
    });
    const exitBody = (await exit.json()) as { id: number; error?: { code: number } };
    expect(exitBody.id).toBe(6);
    const answer = (await (await pending).json()) as {
      id: number;
      error: { code: number; message: string };
    };
    expect(answer.id).toBe(5);
    expect(answer.error.code).toBe(-32000);
    await waitFor(() => closed.includes(doomed), 5000);
    const after = await fetch(`${url}/mcp`, {
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "ping" }),
    });
    expect(after.status).toBe(404);
    await after.text();
    expect(
      textOf(await healthy.callTool({ name: "echo", arguments: { text: "still here" } })),
    ).toBe("still here");
  });

  it("legacy SSE: the calls in flight when the child dies are answered with errors on the stream", async () => {
    const { url } = await startEcho();
    const stream = await fetch(`${url}/sse`, { headers: { Accept: "text/event-stream" } });
    const events = readSse(stream);
    const next = async () => (await events.next()).value as SseEvent | undefined;
    const endpoint = (await next())?.data as string;
    const post = (message: object) =>
      fetch(new URL(endpoint, url), {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ jsonrpc: "2.0", ...message }),
      }).then((res) => res.text());
    await post(initializeBody(1));
    expect(JSON.parse((await next())?.data ?? "{}")).toMatchObject({ id: 1 });
    await post({ method: "notifications/initialized" });
    await post({
      id: 2,
      method: "tools/call",
      params: { name: "slow", arguments: { ms: 30_000 } },
    });
    await post({ id: 3, method: "tools/call", params: { name: "exit", arguments: { code: 3 } } });
    const answers: Array<{ id: number; error?: { code: number; message: string } }> = [];
    for (let event = await next(); event; event = await next()) {
      if (event.data) answers.push(JSON.parse(event.data));
    }
    expect(answers.find((a) => a.id === 3)).toBeDefined();
    expect(answers.find((a) => a.id === 2)?.error).toMatchObject({
      code: -32000,
      message: expect.stringContaining("Upstream closed"),
    });
  });

  it("stateless: a dead shared upstream fails its requests and is replaced on the next request", async () => {
    const { url } = await startEcho({ stateless: true });
    const client = await connectStreamable(`${url}/mcp`);
    const slow = client.callTool({ name: "slow", arguments: { ms: 30_000, steps: 1 } });
    const failed = expect(slow).rejects.toThrow(/Upstream closed/);
    expect(textOf(await client.callTool({ name: "exit", arguments: { code: 1 } }))).toBe(
      "exiting with 1",
    );
    await failed;
    await waitFor(async () => {
      try {
        return (
          textOf(await client.callTool({ name: "echo", arguments: { text: "again" } })) === "again"
        );
      } catch {
        return false;
      }
    }, 10_000);
  });
});

describe("upstream start failures", () => {
  it.each([false, true])(
    "answers 502 when the upstream cannot be created (stateless: %s)",
    async (stateless) => {
      const { url } = await startEcho({
        stateless,
        createUpstream: () => {
          throw new Error("no upstream today");
        },
      });
      const res = await postMcp(url, JSON.stringify(initializeBody(3)));
      expect(res.status).toBe(502);
      const body = (await res.json()) as { id: number; error: { code: number } };
      expect(body).toMatchObject({ id: 3, error: { code: -32000 } });
    },
  );

  it("answers a 2026-07-28 request with 502 when the upstream cannot be created", async () => {
    const { url } = await startEcho({
      createUpstream: () => {
        throw new Error("no upstream today");
      },
    });
    const res = await postModern(url, modernRequest("tools/list", {}, { id: 7 }));
    expect(res.status).toBe(502);
    const body = (await res.json()) as { id: number; error: { code: number; message: string } };
    expect(body).toMatchObject({ id: 7, error: { code: -32000 } });
    expect(body.error.message).toMatch(/upstream could not be created/);
  });

  it("answers 502 when the command does not exist", async () => {
    const { url } = await startEcho({
      createUpstream: () =>
        new ChildProcessTransport({ command: "/nonexistent/mcp-server", stderr: "ignore" }),
    });
    const res = await postMcp(url, JSON.stringify(initializeBody(4)));
    expect(res.status).toBe(502);
    await res.text();
    expect((await fetch(`${url}/ping`)).status).toBe(200);
  });
});

describe("cancellation", () => {
  it("a cancelled request's POST ends and the session goes on", async () => {
    const { url } = await startEcho();
    const sessionId = await rawInitialize(url);
    const headers = { ...JSON_HEADERS, "Mcp-Session-Id": sessionId };
    // Its stream opens with the first progress: then the call is surely in flight to cancel.
    const slow = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...headers, Accept: "text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 77,
        method: "tools/call",
        params: {
          name: "slow",
          arguments: { ms: 30_000, steps: 300 },
          _meta: { progressToken: "p" },
        },
      }),
    });
    const events = readSse(slow);
    const first = (await events.next()).value as SseEvent;
    expect(JSON.parse(first.data)).toMatchObject({ method: "notifications/progress" });
    const cancel = await fetch(`${url}/mcp`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: 77, reason: "user" },
      }),
    });
    expect(cancel.status).toBe(202);
    let answer: { id?: number; error?: { message: string } } = {};
    for await (const event of events) {
      if ("data" in event && event.data) answer = JSON.parse(event.data);
      if (answer.id === 77) break;
    }
    expect(answer).toMatchObject({ id: 77, error: { message: "Request cancelled" } });
    const ping = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...headers, Accept: "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 78, method: "ping" }),
    });
    expect(((await ping.json()) as { id: number }).id).toBe(78);
  });
});
