// The one status table (README "Session status codes") and every error status,
// asserted cell by cell with raw fetch, including the JSON-RPC error body.
import http from "node:http";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { initializeBody, JSON_HEADERS, postMcp, rawInitialize, startEcho } from "./helpers.js";

const listTools = (id: number | string = 7) =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list" });

async function expectRpcError(res: Response, status: number, code: number, id: unknown = null) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = (await res.json()) as {
    jsonrpc: string;
    id: unknown;
    error: { code: number; message: string };
  };
  expect(body.jsonrpc).toBe("2.0");
  expect(body.id).toEqual(id);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(5);
  return body;
}

describe("session status table (stateful)", () => {
  it("POST without a session id on a non-initialize request: 400", async () => {
    const { url } = await startEcho();
    const res = await postMcp(url, listTools(7));
    await expectRpcError(res, 400, -32600, 7);
  });

  it("POST, GET and DELETE with an unknown session id: 404", async () => {
    const { url } = await startEcho();
    const headers = { ...JSON_HEADERS, "Mcp-Session-Id": "nope" };
    await expectRpcError(
      await fetch(`${url}/mcp`, { method: "POST", headers, body: listTools(8) }),
      404,
      -32000,
      8,
    );
    await expectRpcError(await fetch(`${url}/mcp`, { method: "GET", headers }), 404, -32000);
    await expectRpcError(await fetch(`${url}/mcp`, { method: "DELETE", headers }), 404, -32000);
  });

  it("GET and DELETE without a session id: 400", async () => {
    const { url } = await startEcho();
    await expectRpcError(
      await fetch(`${url}/mcp`, { method: "GET", headers: JSON_HEADERS }),
      400,
      -32600,
    );
    await expectRpcError(
      await fetch(`${url}/mcp`, { method: "DELETE", headers: JSON_HEADERS }),
      400,
      -32600,
    );
  });

  it("a known session answers; after DELETE the same id is 404 for every method", async () => {
    const { url } = await startEcho();
    const sessionId = await rawInitialize(url);
    const headers = { ...JSON_HEADERS, "Mcp-Session-Id": sessionId };
    const ok = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...headers, Accept: "application/json" },
      body: listTools(9),
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { id: number }).id).toBe(9);
    const del = await fetch(`${url}/mcp`, { method: "DELETE", headers });
    expect(del.status).toBe(200);
    await del.text();
    await expectRpcError(
      await fetch(`${url}/mcp`, { method: "POST", headers, body: listTools(10) }),
      404,
      -32000,
      10,
    );
    await expectRpcError(await fetch(`${url}/mcp`, { method: "GET", headers }), 404, -32000);
    await expectRpcError(await fetch(`${url}/mcp`, { method: "DELETE", headers }), 404, -32000);
  });

  it("another principal's session id is 404 for every method and the messages endpoint", async () => {
    // authenticate's identity: the bearer token names the user (clientId).
    const { url } = await startEcho({
      authenticate: (req) => {
        const user = req.headers.authorization?.replace(/^Bearer /, "");
        return user ? { token: user, clientId: user, scopes: [] } : false;
      },
    });
    const alice = { Authorization: "Bearer alice" };
    const bob = { Authorization: "Bearer bob" };
    const sessionId = await rawInitialize(url, alice);
    const headers = { ...JSON_HEADERS, "Mcp-Session-Id": sessionId, ...bob };
    await expectRpcError(
      await fetch(`${url}/mcp`, { method: "POST", headers, body: listTools(11) }),
      404,
      -32000,
      11,
    );
    await expectRpcError(await fetch(`${url}/mcp`, { method: "GET", headers }), 404, -32000);
    await expectRpcError(await fetch(`${url}/mcp`, { method: "DELETE", headers }), 404, -32000);
    const mine = await postMcp(url, listTools(12), { "Mcp-Session-Id": sessionId, ...alice });
    expect(mine.status).toBe(200);
    await mine.text();
    // The legacy SSE session is alice's too.
    const stream = await fetch(`${url}/sse`, { headers: alice });
    const reader = stream.body?.getReader();
    let text = "";
    while (!text.includes("sessionId=")) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    const path = /data: (\/messages\?sessionId=[^\n]+)/.exec(text)?.[1];
    const post = (auth: Record<string, string>) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { ...JSON_HEADERS, ...auth },
        body: JSON.stringify(initializeBody(13)),
      });
    await expectRpcError(await post(bob), 404, -32000);
    const owner = await post(alice);
    expect(owner.status).toBe(202);
    await owner.text();
    await reader?.cancel();
  });

  it("notifications and responses get 202", async () => {
    const { url } = await startEcho();
    const sessionId = await rawInitialize(url);
    const res = await postMcp(
      url,
      JSON.stringify({ jsonrpc: "2.0", method: "notifications/roots/list_changed" }),
      { "Mcp-Session-Id": sessionId },
    );
    expect(res.status).toBe(202);
  });

  it("an unsupported MCP-Protocol-Version is 400; an absent one is accepted", async () => {
    const { url } = await startEcho();
    const sessionId = await rawInitialize(url);
    const headers = { ...JSON_HEADERS, "Mcp-Session-Id": sessionId };
    const bad = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...headers, "MCP-Protocol-Version": "1999-01-01" },
      body: listTools(3),
    });
    const body = await expectRpcError(bad, 400, -32600, 3);
    expect(body.error.message).toContain("1999-01-01");
    const ok = await fetch(`${url}/mcp`, { method: "POST", headers, body: listTools(4) });
    expect(ok.status).toBe(200);
    await ok.text();
  });

  it("answers 503 beyond maxSessions", async () => {
    const { url } = await startEcho({ maxSessions: 1 });
    await rawInitialize(url);
    const res = await postMcp(url, JSON.stringify(initializeBody(5)));
    expect(res.headers.get("retry-after")).toBe("1");
    await expectRpcError(res, 503, -32000, 5);
  });
});

describe("session status table (stateless)", () => {
  it("GET and DELETE are 405 with Allow: POST; a stale session header is ignored", async () => {
    const { url } = await startEcho({ stateless: true });
    for (const method of ["GET", "DELETE"]) {
      const res = await fetch(`${url}/mcp`, {
        method,
        headers: { ...JSON_HEADERS, "Mcp-Session-Id": "stale" },
      });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      await res.text();
    }
    const res = await postMcp(url, listTools(11), {
      Accept: "application/json",
      "Mcp-Session-Id": "stale",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("mcp-session-id")).toBeNull();
    expect(((await res.json()) as { id: number }).id).toBe(11);
  });
});

describe("request errors", () => {
  it("406 when Accept lacks JSON and SSE; 406 for GET without text/event-stream", async () => {
    const { url } = await startEcho();
    const res = await postMcp(url, listTools(), { Accept: "text/html" });
    await expectRpcError(res, 406, -32000);
    const sessionId = await rawInitialize(url);
    const get = await fetch(`${url}/mcp`, {
      headers: { Accept: "application/json", "Mcp-Session-Id": sessionId },
    });
    await expectRpcError(get, 406, -32000);
  });

  it("409 for a GET whose Last-Event-ID cannot be resumed from", async () => {
    const { url } = await startEcho();
    const sessionId = await rawInitialize(url);
    const get = await fetch(`${url}/mcp`, {
      headers: { Accept: "text/event-stream", "Mcp-Session-Id": sessionId, "Last-Event-ID": "x~1" },
    });
    await expectRpcError(get, 409, -32000);
  });

  it("400 -32600 for JSON nested too deep; brackets inside strings do not count", async () => {
    const { url } = await startEcho();
    const session = await rawInitialize(url);
    const headers = { "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25" };
    const depth = 5000;
    const deep = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x","deep":${"[".repeat(depth)}${"]".repeat(depth)}}}}`;
    const refused = await postMcp(url, deep, headers);
    const body = await expectRpcError(refused, 400, -32600, null);
    expect(body.error.message).toMatch(/nested deeper/);
    const text = "[{".repeat(depth);
    const fine = await postMcp(
      url,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 8,
        method: "tools/call",
        params: { name: "echo", arguments: { text } },
      }),
      headers,
    );
    expect(fine.status).toBe(200);
    expect(await fine.text()).toContain(text);
  });

  it("431 with a short body for headers over the limit", async () => {
    const { url } = await startEcho();
    const { status, body } = await new Promise<{ status: number | undefined; body: string }>(
      (resolve, reject) => {
        const req = http.request(`${url}/mcp`, {
          method: "POST",
          headers: { ...JSON_HEADERS, "X-Padding": "x".repeat(32 * 1024) },
        });
        req.on("response", (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode, body: text }));
        });
        req.on("error", reject);
        req.end("{}");
      },
    );
    expect(status).toBe(431);
    expect(body).toMatch(/too large/);
  });

  it("415 for a non-JSON content type", async () => {
    const { url } = await startEcho();
    const res = await postMcp(url, listTools(), { "Content-Type": "text/plain" });
    await expectRpcError(res, 415, -32600);
  });

  it("400 -32700 for bad JSON and 400 -32600 for a non-JSON-RPC body", async () => {
    const { url } = await startEcho();
    await expectRpcError(await postMcp(url, "{oops"), 400, -32700);
    await expectRpcError(
      await postMcp(url, JSON.stringify({ hello: "world", id: 4 })),
      400,
      -32600,
      4,
    );
    await expectRpcError(await postMcp(url, "[]"), 400, -32600);
  });

  it("413 for a body over maxBodySize, declared or streamed", async () => {
    const { url } = await startEcho({ maxBodySize: 1000 });
    const big = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/list",
      params: { pad: "x".repeat(5000) },
    });
    await expectRpcError(await postMcp(url, big), 413, -32600);
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const res = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: chunked,
      duplex: "half",
    } as RequestInit);
    await expectRpcError(res, 413, -32600);
    // Still serving.
    expect((await fetch(`${url}/ping`)).status).toBe(200);
  });

  it("404 for an unknown path; endpoints match with a query string", async () => {
    const { url } = await startEcho();
    await expectRpcError(await fetch(`${url}/nope`), 404, -32000);
    const res = await fetch(`${url}/mcp?x=1`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify(initializeBody()),
    });
    expect(res.status).toBe(200);
    await res.text();
  });

  it("onUnhandledRequest answers unknown paths", async () => {
    const { url } = await startEcho({
      onUnhandledRequest: (_req, res) => {
        res.writeHead(418).end("teapot");
      },
    });
    const res = await fetch(`${url}/other`);
    expect(res.status).toBe(418);
    expect(await res.text()).toBe("teapot");
  });

  it("405 with Allow for a wrong method", async () => {
    const { url } = await startEcho();
    const res = await fetch(`${url}/mcp`, { method: "PUT", headers: JSON_HEADERS, body: "{}" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST, DELETE");
    await expectRpcError(res, 405, -32000);
    const sse = await fetch(`${url}/sse`, { method: "POST", headers: JSON_HEADERS, body: "{}" });
    expect(sse.headers.get("allow")).toBe("GET");
    await sse.text();
  });

  it("disabled endpoints are 404", async () => {
    const { url } = await startEcho({ sseEndpoint: null, streamEndpoint: null });
    expect((await postMcp(url, listTools())).status).toBe(404);
    expect((await fetch(`${url}/sse`)).status).toBe(404);
  });

  it("legacy messages endpoint: missing sessionId 400, unknown 404", async () => {
    const { url } = await startEcho();
    await expectRpcError(
      await fetch(`${url}/messages`, { method: "POST", headers: JSON_HEADERS, body: listTools() }),
      400,
      -32600,
    );
    await expectRpcError(
      await fetch(`${url}/messages?sessionId=nope`, {
        method: "POST",
        headers: JSON_HEADERS,
        body: listTools(),
      }),
      404,
      -32000,
    );
  });

  it("survives malformed targets, cut-short bodies and client resets", async () => {
    const handle = await startEcho();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port: handle.port, path: "//", method: "GET" },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(404);
    // Declares more than it sends, then resets.
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: "127.0.0.1",
        port: handle.port,
        path: "/mcp",
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Length": "1000" },
      });
      req.on("error", () => resolve());
      req.write('{"jsonrpc":"2.0"');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    expect((await fetch(`${handle.url}/ping`)).status).toBe(200);
    const ok = await postMcp(handle.url, JSON.stringify(initializeBody()));
    expect(ok.status).toBe(200);
    await ok.text();
  });
});

describe("protocol version the upstream negotiated", () => {
  it("accepts the version the upstream agreed to even when the SDK does not know it", async () => {
    // A tiny upstream that agrees to a future version and answers everything else with {}.
    const createUpstream = (): Transport => {
      const t: Transport = {
        start: async () => undefined,
        close: async () => t.onclose?.(),
        send: async (message: JSONRPCMessage) => {
          const m = message as { id?: number; method?: string };
          if (m.id === undefined) return;
          const result =
            m.method === "initialize"
              ? {
                  protocolVersion: "2099-01-01",
                  capabilities: {},
                  serverInfo: { name: "future", version: "1" },
                }
              : {};
          queueMicrotask(() => t.onmessage?.({ jsonrpc: "2.0", id: m.id as number, result }));
        },
      };
      return t;
    };
    const { url } = await startEcho({ createUpstream });
    const sessionId = await rawInitialize(url);
    const headers = { ...JSON_HEADERS, "Mcp-Session-Id": sessionId };
    const ok = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...headers, "MCP-Protocol-Version": "2099-01-01" },
      body: listTools(1),
    });
    expect(ok.status).toBe(200);
    await ok.text();
    const other = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...headers, "MCP-Protocol-Version": "2098-01-01" },
      body: listTools(2),
    });
    expect(other.status).toBe(400);
    await other.text();
  });
});
