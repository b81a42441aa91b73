// Replicas joined through a registry, no sticky sessions: whatever replica a
// request lands on, it reaches the one that owns its session or parked round.
import net from "node:net";
import { waitFor } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { defaultAdvertiseUrl } from "../src/cluster.js";
import { signForward } from "../src/cluster-signature.js";
import { CLUSTER_HEADER, type RequestRecord, startHTTPServer } from "../src/index.js";
import { MemoryRegistry, roundRobinFetch, SECRET, startReplica } from "./cluster-helpers.js";
import {
  initializeBody,
  onCleanup,
  postMcp,
  rawInitialize,
  recordingLogger,
  textOf,
} from "./helpers.js";
import { messagesOf, modernRequest, postModern, resultOf, sseMessages } from "./modern-helpers.js";

const toolCall = (id: number, name: string, args: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

async function sessionCall(base: string, session: string, id: number, text: string) {
  const res = await postMcp(base, toolCall(id, "echo", { text }), {
    "mcp-session-id": session,
    "mcp-protocol-version": "2025-06-18",
  });
  return { res, messages: res.status === 200 ? await messagesOf(res) : [] };
}

/** A raw HTTP/1.0 request without a Host header, as HAProxy's default health check sends it. */
function hostlessGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(`GET ${path} HTTP/1.0\r\n\r\n`);
    });
    let data = "";
    socket.on("data", (chunk) => {
      data += chunk;
    });
    socket.on("error", reject);
    socket.on("end", () => {
      const [head = "", body = ""] = data.split("\r\n\r\n");
      resolve({ status: Number(head.split(" ")[1]), body });
    });
  });
}

describe("a cluster of replicas", () => {
  it("serves a 2025 session from any replica: calls, the GET stream and DELETE reach its owner", async () => {
    const registry = new MemoryRegistry();
    const replicas = [
      await startReplica(registry),
      await startReplica(registry),
      await startReplica(registry),
    ];
    const ids = replicas.map((r) => r.cluster?.id as string);
    expect(new Set(ids).size).toBe(3);
    expect([...registry.records.keys()].sort()).toEqual([...ids].sort());

    const rr = roundRobinFetch(replicas.map((r) => r.url));
    const client = new Client({ name: "rr", version: "1.0.0" }, { capabilities: {} });
    const transport = new StreamableHTTPClientTransport(new URL(`${replicas[0]?.url}/mcp`), {
      fetch: rr.fetch,
    });
    await client.connect(transport);
    onCleanup(() => client.close());
    const owner = (transport.sessionId as string).split(".")[0];
    expect(ids).toContain(owner);
    for (let i = 0; i < 6; i++) {
      const result = await client.callTool({ name: "echo", arguments: { text: `call ${i}` } });
      expect(textOf(result)).toBe(`call ${i}`);
    }
    // Requests that landed elsewhere were sent on: their answers name the replica they passed.
    const hops = rr.via.filter((v) => v !== "");
    expect(hops.length).toBeGreaterThanOrEqual(4);
    for (const id of ids.filter((id) => id !== owner)) {
      expect(hops.some((v) => v.includes(`mcp-proxy-${id}`))).toBe(true);
    }
    // A server-initiated notification reaches the client through the forwarded GET stream too.
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    await client.callTool({ name: "notify", arguments: {} });
    await changed;
    const sessionId = transport.sessionId as string;
    await transport.terminateSession();
    const after = await sessionCall(replicas[1]?.url as string, sessionId, 9, "x");
    expect(after.res.status).toBe(404);
  });

  it("forwards legacy SSE message POSTs to the replica holding the stream", async () => {
    const registry = new MemoryRegistry();
    const a = await startReplica(registry);
    const records: RequestRecord[] = [];
    const b = await startReplica(registry, {
      metrics: {
        onRequest: (record) => records.push(record),
        scrape: async () => ({ contentType: "text/plain", body: "" }),
      },
    });
    const posts: string[] = [];
    const client = new Client({ name: "sse", version: "1.0.0" }, { capabilities: {} });
    const transport = new SSEClientTransport(new URL(`${a.url}/sse`), {
      // The stream stays on a; every message POST goes to b.
      fetch: async (input, init) => {
        const url = new URL(String(input instanceof Request ? input.url : input));
        if (init?.method === "POST") {
          url.host = new URL(b.url).host;
          const res = await fetch(url, init);
          posts.push(res.headers.get("via") ?? "");
          return res;
        }
        return fetch(url, init);
      },
    });
    await client.connect(transport);
    onCleanup(() => client.close());
    for (let i = 0; i < 3; i++) {
      const result = await client.callTool({ name: "echo", arguments: { text: `sse ${i}` } });
      expect(textOf(result)).toBe(`sse ${i}`);
    }
    expect(posts.length).toBeGreaterThanOrEqual(3);
    expect(posts.every((v) => v.includes(`mcp-proxy-${b.cluster?.id}`))).toBe(true);
    // b's metrics count them as forwarded, with the owner's status.
    await waitFor(() => records.filter((r) => r.forwarded).length >= 3);
    expect(records.filter((r) => r.forwarded).every((r) => r.status === 202)).toBe(true);
  });

  it("sends a 2026-07-28 retry to the replica holding its parked round", async () => {
    const registry = new MemoryRegistry();
    const a = await startReplica(registry);
    const b = await startReplica(registry);
    const capabilities = { sampling: {} };
    const call = modernRequest(
      "tools/call",
      { name: "sample", arguments: { prompt: "hi" } },
      { capabilities },
    );
    const first = resultOf((await messagesOf(await postModern(a.url, call)))[0]);
    expect(first.resultType).toBe("input_required");
    expect(String(first.requestState).startsWith(`${a.cluster?.id}.`)).toBe(true);
    const [key] = Object.keys(first.inputRequests as object);
    const retry = modernRequest(
      "tools/call",
      {
        name: "sample",
        arguments: { prompt: "hi" },
        requestState: first.requestState,
        inputResponses: {
          [key as string]: {
            role: "assistant",
            content: { type: "text", text: "hello" },
            model: "m",
          },
        },
      },
      { capabilities },
    );
    const res = await postModern(b.url, retry);
    expect(res.headers.get("via")).toContain(`mcp-proxy-${b.cluster?.id}`);
    const final = resultOf((await messagesOf(res))[0]);
    expect(final).toMatchObject({ content: [{ text: "sampled: hello" }] });
    // New 2026-07-28 requests need no owner: served where they land.
    const discover = await postModern(b.url, modernRequest("server/discover"));
    expect(discover.status).toBe(200);
    expect(discover.headers.get("via")).toBeNull();
  });

  it("answers 404 for a session whose replica is gone or unreachable, and 503 when the registry is down", async () => {
    const registry = new MemoryRegistry();
    const a = await startReplica(registry);
    const b = await startReplica(registry);
    const session = await rawInitialize(a.url);
    expect(session.startsWith(`${a.cluster?.id}.`)).toBe(true);
    expect((await sessionCall(b.url, session, 2, "ok")).res.status).toBe(200);

    registry.down = true;
    const down = await sessionCall(b.url, session, 3, "x");
    expect(down.res.status).toBe(503);
    expect(await down.res.json()).toMatchObject({
      error: { message: expect.stringMatching(/registry/) },
    });
    registry.down = false;

    // Registered but not listening: a replica that died without leaving.
    const record = registry.records.get(a.cluster?.id as string);
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    registry.records.set(a.cluster?.id as string, {
      ...(record as { id: string; url: string; draining: boolean }),
      url: `http://127.0.0.1:${deadPort}`,
    });
    const unreachable = await sessionCall(b.url, session, 4, "x");
    expect(unreachable.res.status).toBe(404);
    const unknown = await sessionCall(b.url, `${b.cluster?.id}.no-such-session`, 4, "x");
    expect(unknown.res.status).toBe(404);
    // Word for word, the request's id included.
    expect(await unreachable.res.json()).toEqual(await unknown.res.json());

    // Left the registry: the same 404.
    registry.records.delete(a.cluster?.id as string);
    expect((await sessionCall(b.url, session, 6, "x")).res.status).toBe(404);
  });

  it("refuses a cluster header it cannot verify, and never forwards twice", async () => {
    const registry = new MemoryRegistry();
    const a = await startReplica(registry);
    const b = await startReplica(registry);
    const session = await rawInitialize(a.url);
    const body = toolCall(2, "echo", { text: "x" });
    const forged = await postMcp(b.url, body, {
      "mcp-session-id": session,
      [CLUSTER_HEADER]: `v1;${b.cluster?.id};${Date.now()};AAAA`,
    });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({
      error: { message: expect.stringMatching(/cluster signature/) },
    });
    const stale = await postMcp(b.url, body, {
      "mcp-session-id": session,
      [CLUSTER_HEADER]: signForward(SECRET, "x", "POST", "/mcp", Date.now() - 120_000),
    });
    expect(stale.status).toBe(403);
    // A correctly signed request is served where it arrived: b does not own the session.
    const signed = await postMcp(b.url, body, {
      "mcp-session-id": session,
      "mcp-protocol-version": "2025-06-18",
      [CLUSTER_HEADER]: signForward(SECRET, "x", "POST", "/mcp"),
    });
    expect(signed.status).toBe(404);
    expect(signed.headers.get("via")).toBeNull();
  });

  it("answers /ping and /health without a Host header; /health details only to trusted requests", async () => {
    const registry = new MemoryRegistry();
    const a = await startReplica(registry);
    expect(await hostlessGet(a.port, "/ping")).toEqual({ status: 200, body: "pong" });
    const health = await hostlessGet(a.port, "/health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true });
    const trusted = await fetch(`${a.url}/health`);
    expect(await trusted.json()).toMatchObject({
      ok: true,
      replica: a.cluster?.id,
      draining: false,
    });
  });

  it("drains on close: /health 503, new sessions handed to another replica, in-flight calls finish", async () => {
    const registry = new MemoryRegistry();
    const { logger, lines } = recordingLogger();
    const a = await startReplica(registry, { logger, closeGracePeriod: 10_000 });
    const b = await startReplica(registry);
    const session = await rawInitialize(a.url);
    // A slow call in flight on a's session, reached through b: its first progress says so.
    const slow = await postMcp(
      b.url,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "slow", arguments: { ms: 1500, steps: 3 }, _meta: { progressToken: "p" } },
      }),
      { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" },
    );
    expect(slow.status).toBe(200);
    const stream = sseMessages(slow);
    expect((await stream.next()).value).toMatchObject({ method: "notifications/progress" });
    const closing = a.close();
    await waitFor(() => lines.some((l) => l.includes("cluster: draining")));
    await waitFor(() => registry.records.get(a.cluster?.id as string)?.draining === true);
    const health = await fetch(`${a.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ ok: false, draining: true });
    // A new session sent to a goes to b.
    const init = await postMcp(a.url, JSON.stringify(initializeBody(1)));
    expect(init.status).toBe(200);
    expect(init.headers.get("mcp-session-id")?.startsWith(`${b.cluster?.id}.`)).toBe(true);
    await init.text();
    // The call in flight finishes.
    const rest: unknown[] = [];
    for await (const message of { [Symbol.asyncIterator]: () => stream }) rest.push(message);
    expect(JSON.stringify(rest.at(-1))).toContain("done after 1500ms");
    await closing;
    expect(registry.records.has(a.cluster?.id as string)).toBe(false);
    expect((await sessionCall(b.url, session, 8, "x")).res.status).toBe(404);
  });

  it("advertises the bound address, or a real one for a wildcard bind", () => {
    expect(defaultAdvertiseUrl("127.0.0.1", 8080, false)).toBe("http://127.0.0.1:8080");
    expect(defaultAdvertiseUrl("::1", 8443, true)).toBe("https://[::1]:8443");
    for (const wildcard of ["0.0.0.0", "::"]) {
      const url = new URL(defaultAdvertiseUrl(wildcard, 8080, false));
      expect(url.port).toBe("8080");
      expect(["0.0.0.0", "[::]"]).not.toContain(url.hostname);
    }
  });

  it("refuses bad cluster options at once", async () => {
    const registry = new MemoryRegistry();
    await expect(
      startHTTPServer({
        port: 0,
        host: "127.0.0.1",
        createUpstream: () => {
          throw new Error("unused");
        },
        cluster: { registry, secret: "short" },
      }),
    ).rejects.toThrow(/at least 16/);
    await expect(
      startReplica(registry, { cluster: { registry, secret: SECRET, replicaId: "a.b" } }),
    ).rejects.toThrow(/replicaId/);
  });
});
