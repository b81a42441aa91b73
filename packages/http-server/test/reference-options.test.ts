// The reference package's option names and forms, as a migrating user writes
// them: every form of cors.origin honoured by CORS and the Origin check alike,
// sessionIdleTimeout, eventStoreMaxEvents, maxBodySize: false,
// enableJsonResponse, onListenSubscriptions and the handle's notify.
import http from "node:http";
import { waitFor } from "@mcp-proxy/test-utils";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_ALLOWED_HEADERS,
  DEFAULT_CORS_ALLOWED_HEADERS,
  InMemoryEventStore,
  startHTTPServer,
} from "../src/index.js";
import {
  echoUpstream,
  initializeBody,
  JSON_HEADERS,
  onCleanup,
  postMcp,
  rawInitialize,
  startEcho,
} from "./helpers.js";
import { listen, modernRequest, postModern, sseMessages } from "./modern-helpers.js";

const preflight = (url: string, origin: string) =>
  fetch(`${url}/mcp`, {
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type, mcp-session-id",
    },
  });

/** The status of a preflight with a forged Host header (fetch cannot set Host). */
const preflightWithHost = (url: string, origin: string, host: string) =>
  new Promise<number>((resolve, reject) => {
    const req = http.request(`${url}/mcp`, {
      method: "OPTIONS",
      headers: { Host: host, Origin: origin, "Access-Control-Request-Method": "POST" },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });

const initializeFrom = (url: string, origin: string) =>
  postMcp(url, JSON.stringify(initializeBody()), { Origin: origin });

describe("cors.origin, honoured by CORS and the Origin check alike", () => {
  it("a function: the origins it accepts pass preflight and POST; others get 403", async () => {
    const { url } = await startEcho({
      cors: { origin: (origin: string) => origin.endsWith(".example.com") },
    });
    const ok = await preflight(url, "https://app.example.com");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const posted = await initializeFrom(url, "https://app.example.com");
    expect(posted.status).toBe(200);
    expect(posted.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    await posted.text();

    const refused = await preflight(url, "https://evil.test");
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    expect(refused.headers.get("vary")).toContain("Origin");
  });

  it("a function that throws trusts nobody (403, not 500)", async () => {
    const { url } = await startEcho({
      cors: {
        origin: () => {
          throw new Error("bug in the predicate");
        },
      },
    });
    const res = await initializeFrom(url, "https://app.example.com");
    expect(res.status).toBe(403);
    await res.text();
  });

  it('"*": the browser Origin check is off, the Host check stays', async () => {
    const { url } = await startEcho({ cors: { origin: "*" } });
    const res = await initializeFrom(url, "https://anywhere.test");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    await res.text();
    // A foreign Host is still how a DNS-rebinding attack arrives: refused.
    expect(await preflightWithHost(url, "https://anywhere.test", "evil.test")).toBe(403);
    expect(await preflightWithHost(url, "https://anywhere.test", "localhost")).toBe(204);
  });

  it("one origin as a string, and a list", async () => {
    const one = await startEcho({ cors: { origin: "https://app.example.com" } });
    expect((await preflight(one.url, "https://app.example.com")).status).toBe(204);
    expect((await preflight(one.url, "https://other.example.com")).status).toBe(403);
    const list = await startEcho({
      cors: { origin: ["https://a.example.com", "https://b.example.com"] },
    });
    expect((await preflight(list.url, "https://b.example.com")).status).toBe(204);
    expect((await preflight(list.url, "https://c.example.com")).status).toBe(403);
  });

  it("allowedOrigins, when set, decides alone", async () => {
    const { url } = await startEcho({
      cors: { origin: "*" },
      allowedOrigins: ["https://only.example.com"],
    });
    expect((await preflight(url, "https://only.example.com")).status).toBe(204);
    expect((await preflight(url, "https://app.example.com")).status).toBe(403);
  });

  it("allowedHeaders as a comma-separated string; DEFAULT_ALLOWED_HEADERS is our default list", async () => {
    expect(DEFAULT_ALLOWED_HEADERS).toBe(DEFAULT_CORS_ALLOWED_HEADERS);
    const { url } = await startEcho({
      cors: { origin: "https://app.example.com", allowedHeaders: "Content-Type, X-Custom" },
    });
    const res = await preflight(url, "https://app.example.com");
    expect(res.headers.get("access-control-allow-headers")).toBe("Content-Type, X-Custom");
  });
});

describe("reference option names", () => {
  it("sessionIdleTimeout ends an idle session like sessionTimeout", async () => {
    const closed: string[] = [];
    const { url } = await startEcho({
      sessionIdleTimeout: 200,
      onClose: (session) => {
        if (session.sessionId) closed.push(session.sessionId);
      },
    });
    const sessionId = await rawInitialize(url);
    await waitFor(() => closed.includes(sessionId), 10_000);
    const res = await postMcp(url, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }), {
      "Mcp-Session-Id": sessionId,
      "MCP-Protocol-Version": "2025-06-18",
    });
    expect(res.status).toBe(404);
    await res.text();
  });

  it("refuses two spellings that disagree, and eventStoreMaxEvents beside an eventStore", async () => {
    await expect(
      startHTTPServer({
        port: 0,
        createUpstream: echoUpstream(),
        sessionTimeout: 1000,
        sessionIdleTimeout: 2000,
      }),
    ).rejects.toThrow(/sessionTimeout.*sessionIdleTimeout/);
    await expect(
      startHTTPServer({
        port: 0,
        createUpstream: echoUpstream(),
        eventStore: new InMemoryEventStore(),
        eventStoreMaxEvents: 10,
      }),
    ).rejects.toThrow(/eventStoreMaxEvents/);
    await expect(
      startHTTPServer({ port: 0, createUpstream: echoUpstream(), eventStoreMaxEvents: 0 }),
    ).rejects.toThrow(/maxEventsPerStream/);
    await expect(
      startHTTPServer({ port: 0, createUpstream: echoUpstream(), maxBodySize: 0 }),
    ).rejects.toThrow(/maxBodySize/);
  });

  it("maxBodySize: false accepts a body past the 10 MiB default", async () => {
    const { url } = await startEcho({ maxBodySize: false });
    const big = JSON.stringify({
      ...initializeBody(),
      params: { ...initializeBody().params, padding: "x".repeat(11 * 1024 * 1024) },
    });
    const res = await postMcp(url, big);
    expect(res.status).toBe(200);
    await res.text();
    const bounded = await startEcho();
    const refused = await postMcp(bounded.url, big);
    expect(refused.status).toBe(413);
    await refused.text();
  });

  it("enableJsonResponse answers with JSON even when the request causes progress", async () => {
    const call = (url: string, sessionId: string) =>
      postMcp(
        url,
        JSON.stringify({
          jsonrpc: "2.0",
          id: 5,
          method: "tools/call",
          params: { name: "slow", arguments: { ms: 30, steps: 2 }, _meta: { progressToken: 7 } },
        }),
        { "Mcp-Session-Id": sessionId, "MCP-Protocol-Version": "2025-06-18" },
      );
    const json = await startEcho({ enableJsonResponse: true });
    const res = await call(json.url, await rawInitialize(json.url));
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toMatchObject({ id: 5, result: { content: [{ type: "text" }] } });

    const streamed = await startEcho();
    const sse = await call(streamed.url, await rawInitialize(streamed.url));
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    await sse.text();
  });
});

describe("onListenSubscriptions and notify (2026-07-28 listen streams)", () => {
  it("the hook sees a stream's URIs and releases them when it ends; notify reaches the stream", async () => {
    const calls: string[][] = [];
    let released = 0;
    const handle = await startEcho({
      onListenSubscriptions: async (uris) => {
        calls.push(uris);
        return () => {
          released++;
        };
      },
    });
    const stream = await listen(handle.url, {
      toolsListChanged: true,
      resourceSubscriptions: ["fixture://greeting"],
    });
    const received = stream.received;
    expect(calls).toEqual([["fixture://greeting"]]);

    handle.notify.toolsChanged();
    handle.notify.resourceUpdated("fixture://greeting");
    handle.notify.resourceUpdated("fixture://other");
    await waitFor(() => received.length >= 3);
    const methods = received.map((m) => (m as { method?: string }).method);
    expect(methods).toEqual([
      "notifications/subscriptions/acknowledged",
      "notifications/tools/list_changed",
      "notifications/resources/updated",
    ]);
    expect(
      (received[2] as { params: { _meta: Record<string, unknown> } }).params._meta[
        "io.modelcontextprotocol/subscriptionId"
      ],
    ).toBe(stream.id);

    expect(received[2]).toBeDefined();
    await stream.close();
    await waitFor(() => released === 1);
  });

  it("a hook that rejects fails the listen request with a JSON-RPC error", async () => {
    const { url } = await startEcho({
      onListenSubscriptions: async () => {
        throw new Error("upstream said no");
      },
    });
    const res = await postModern(
      url,
      modernRequest("subscriptions/listen", {
        notifications: { resourceSubscriptions: ["fixture://greeting"] },
      }),
    );
    const messages: JSONRPCMessage[] = [];
    for await (const message of sseMessages(res)) messages.push(message);
    expect(messages.at(-1)).toMatchObject({ error: { message: /upstream said no/ } });
  });

  it("notify is a no-op without the modern leg", async () => {
    const handle = await startHTTPServer({
      port: 0,
      createUpstream: echoUpstream(),
      modern: false,
    });
    onCleanup(() => handle.close());
    expect(() => handle.notify.toolsChanged()).not.toThrow();
    const res = await fetch(`${handle.url}/mcp`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify(initializeBody()),
    });
    expect(res.status).toBe(200);
    await res.text();
  });
});
