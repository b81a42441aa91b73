// Sessions outlive TCP connections and expire on their own timer; long-lived
// streams carry heartbeats; close() ends streams, lets in-flight requests
// finish and releases everything; /ping and /health.

import net from "node:net";
import { isAlive, waitFor } from "@mcp-proxy/test-utils";
import { describe, expect, it } from "vitest";
import {
  JSON_HEADERS,
  onCleanup,
  pidRecordingEchoUpstream,
  postMcp,
  rawInitialize,
  recordingLogger,
  startEcho,
} from "./helpers.js";
import { readSse } from "./sse-client.js";

const ping = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "ping" });

describe("lifecycle", () => {
  it("sends heartbeat comments on the standalone stream", async () => {
    const { url } = await startEcho({ heartbeatInterval: 30 });
    const sessionId = await rawInitialize(url);
    const abort = new AbortController();
    const res = await fetch(`${url}/mcp`, {
      headers: { Accept: "text/event-stream", "Mcp-Session-Id": sessionId },
      signal: abort.signal,
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    let comments = 0;
    for await (const event of readSse(res)) {
      if ("comment" in event && ++comments === 2) break;
    }
    abort.abort();
    expect(comments).toBe(2);
  });

  it("keeps a session across TCP keep-alive timeouts", async () => {
    const { url } = await startEcho({ keepAliveTimeout: 20 });
    const sessionId = await rawInitialize(url);
    // Idle well past the keep-alive timeout: the socket closes, the session stays.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const res = await postMcp(url, ping(1), { "Mcp-Session-Id": sessionId });
    expect(res.status).toBe(200);
    await res.text();
  });

  it("expires idle sessions and ends their upstream", async () => {
    const pids: number[] = [];
    const closed: string[] = [];
    const { url } = await startEcho({
      sessionTimeout: 200,
      onClose: (s) => void closed.push(s.sessionId ?? ""),
      createUpstream: pidRecordingEchoUpstream(pids),
    });
    const sessionId = await rawInitialize(url);
    await waitFor(() => closed.includes(sessionId), 5000);
    const res = await postMcp(url, ping(2), { "Mcp-Session-Id": sessionId });
    expect(res.status).toBe(404);
    await res.text();
    await waitFor(() => !isAlive(pids[0] as number), 5000);
  });

  it("close() ends open streams, lets an in-flight request finish, and is idempotent", async () => {
    const handle = await startEcho({ closeGracePeriod: 5000 });
    const sessionId = await rawInitialize(handle.url);
    const stream = await fetch(`${handle.url}/mcp`, {
      headers: { Accept: "text/event-stream", "Mcp-Session-Id": sessionId },
    });
    // Its stream opens with the first progress: then the call is surely in flight.
    const inFlight = await fetch(`${handle.url}/mcp`, {
      method: "POST",
      headers: { ...JSON_HEADERS, Accept: "text/event-stream", "Mcp-Session-Id": sessionId },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 9,
        method: "tools/call",
        params: { name: "slow", arguments: { ms: 400, steps: 2 }, _meta: { progressToken: 1 } },
      }),
    });
    const events = readSse(inFlight);
    const first = (await events.next()).value as { data: string };
    expect(JSON.parse(first.data)).toMatchObject({ method: "notifications/progress" });
    const closing = handle.close();
    let answer: { id?: number; result?: { content: Array<{ text: string }> } } = {};
    for await (const event of events) {
      if ("data" in event && event.data) answer = JSON.parse(event.data);
      if (answer.id === 9) break;
    }
    expect(answer.result?.content[0]?.text).toBe("done after 400ms");
    await closing;
    await handle.close();
    // The stream ended rather than hanging.
    await stream.text().catch(() => "");
    await expect(fetch(`${handle.url}/ping`)).rejects.toThrow();
  });

  it("close() lets a request in onUnhandledRequest finish and refuses the ones after it", async () => {
    let entered = 0;
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { logger, lines } = recordingLogger();
    const handle = await startEcho({
      closeGracePeriod: 30_000,
      logger,
      onUnhandledRequest: async (_req, res) => {
        entered++;
        await released;
        res
          .writeHead(200, { "Content-Type": "text/plain", "Content-Length": "11" })
          .end("custom done");
      },
    });
    // A raw socket, so that a second request can follow on the same kept-alive connection
    // (a new connection is refused outright once the server stops listening).
    const socket = net.connect(handle.port, "127.0.0.1");
    socket.on("error", () => undefined);
    onCleanup(async () => socket.destroy());
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    const socketClosed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${handle.port}\r\n\r\n`;
    socket.write(get("/custom"));
    await waitFor(() => entered === 1);
    const closing = handle.close();
    let closed = false;
    void closing.then(() => {
      closed = true;
    });
    socket.write(get("/after-close"));
    const fresh = await fetch(`${handle.url}/also-after-close`).then(
      (r) => r.status,
      () => 0,
    );
    expect([0, 503]).toContain(fresh);
    // close() says when it holds on for requests in flight: it must, for this one.
    await waitFor(() => lines.some(([message]) => message.startsWith("closing: letting requests")));
    expect(closed).toBe(false);
    release();
    await closing;
    await socketClosed;
    const responses = received.split(/(?=HTTP\/1\.1 )/);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(responses[0]).toMatch(/\r\n\r\ncustom done$/);
    // The request that came after close() began was refused, or its connection closed first.
    if (responses.length > 1) expect(responses[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(responses.length).toBeLessThanOrEqual(2);
    expect(entered).toBe(1);
  });

  it("serves /ping always and /health from the readiness hook", async () => {
    let ok = true;
    const { url } = await startEcho({
      apiKey: "k",
      health: () => ({ ok, detail: { children: 1 } }),
    });
    expect(await (await fetch(`${url}/ping`)).text()).toBe("pong");
    const up = await fetch(`${url}/health`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ ok: true, detail: { children: 1 } });
    ok = false;
    expect((await fetch(`${url}/health`)).status).toBe(503);
  });

  it("answers /ping whatever the Host and Origin, as load balancers send it", async () => {
    const { url } = await startEcho();
    const { port } = new URL(url);
    // HAProxy's default check: HTTP/1.0, no Host header.
    const bare = await rawExchange(port, "GET /ping HTTP/1.0\r\n\r\n");
    expect(bare).toMatch(/^HTTP\/1\.[01] 200/);
    expect(bare).toMatch(/pong$/);
    const foreign = await rawExchange(
      port,
      "GET /ping HTTP/1.1\r\nHost: lb.internal\r\nOrigin: https://evil.example\r\nConnection: close\r\n\r\n",
    );
    expect(foreign).toMatch(/^HTTP\/1\.1 200/);
    // Everything else still checks Host on a loopback bind.
    const mcp = await rawExchange(
      port,
      "GET /health HTTP/1.1\r\nHost: lb.internal\r\nConnection: close\r\n\r\n",
    );
    expect(mcp).toMatch(/^HTTP\/1\.1 403/);
  });
});

/** Writes `request` on a raw TCP connection to 127.0.0.1:`port` and returns all it answers. */
function rawExchange(port: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.end(request));
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}
