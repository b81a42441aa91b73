// Origin and Host validation, API key and authenticate on every endpoint,
// and CORS headers browsers accept.
import http from "node:http";
import { describe, expect, it } from "vitest";
import {
  connectSse,
  connectStreamable,
  initializeBody,
  JSON_HEADERS,
  postMcp,
  rawInitialize,
  startEcho,
  textOf,
} from "./helpers.js";

const init = JSON.stringify(initializeBody(1));

/** fetch cannot set Host, so use node:http for that. */
function requestWithHost(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/mcp",
        method: "POST",
        headers: { ...JSON_HEADERS, Host: host },
      },
      (res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(init);
  });
}

describe("Origin and Host", () => {
  it("rejects a foreign Origin with 403 and a JSON-RPC error; accepts localhost origins", async () => {
    const { url } = await startEcho();
    const bad = await postMcp(url, init, { Origin: "https://evil.example" });
    expect(bad.status).toBe(403);
    // The refusal depends on Origin: a shared cache must not hand it to another origin.
    expect(bad.headers.get("vary")).toContain("Origin");
    const body = (await bad.json()) as { error: { code: number; message: string } };
    expect(body.error.message).toContain("Origin");
    const good = await postMcp(url, init, { Origin: "http://localhost:3000" });
    expect(good.status).toBe(200);
    await good.text();
  });

  it("honours an allow-list", async () => {
    const { url } = await startEcho({ allowedOrigins: ["https://app.example"] });
    const ok = await postMcp(url, init, { Origin: "https://app.example" });
    expect(ok.status).toBe(200);
    await ok.text();
    const local = await postMcp(url, init, { Origin: "http://localhost:1" });
    expect(local.status).toBe(403);
    await local.text();
  });

  it("rejects a foreign Host on a loopback bind (DNS rebinding); loopback names with any port pass", async () => {
    const { port } = await startEcho();
    const bad = await requestWithHost(port, "evil.example:80");
    expect(bad.status).toBe(403);
    expect(JSON.parse(bad.body).error.message).toContain("Host");
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, "[::1]:9", "localhost"]) {
      expect((await requestWithHost(port, host)).status).toBe(200);
    }
  });
});

describe("auth", () => {
  it("requires the API key on every endpoint; /ping and OPTIONS are exempt", async () => {
    const { url } = await startEcho({ apiKey: "s3cret" });
    const attempts: Array<[string, RequestInit]> = [
      ["/mcp", { method: "POST", headers: JSON_HEADERS, body: init }],
      ["/mcp", { method: "GET", headers: { Accept: "text/event-stream", "Mcp-Session-Id": "x" } }],
      ["/mcp", { method: "DELETE", headers: { "Mcp-Session-Id": "x" } }],
      ["/sse", { method: "GET" }],
      ["/messages?sessionId=x", { method: "POST", headers: JSON_HEADERS, body: init }],
    ];
    for (const [path, init] of attempts) {
      const res = await fetch(`${url}${path}`, init);
      expect(res.status, `${init.method} ${path}`).toBe(401);
      expect(res.headers.get("www-authenticate"), `${init.method} ${path}`).toBe("Bearer");
      await res.text();
    }
    const wrong = await postMcp(url, init, { "X-API-Key": "nope" });
    const body = (await wrong.json()) as { id: number; error: { message: string } };
    expect(body.id).toBe(1);
    expect(wrong.headers.get("www-authenticate")).toBe("Bearer");
    const bearer = await postMcp(url, init, { Authorization: "Bearer nope" });
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get("www-authenticate")).toContain("Bearer");
    await bearer.text();
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    expect(
      (await fetch(`${url}/mcp`, { method: "OPTIONS", headers: { Origin: "http://localhost:1" } }))
        .status,
    ).toBe(204);
    const client = await connectStreamable(`${url}/mcp`, { headers: { "X-API-Key": "s3cret" } });
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "in" } }))).toBe("in");
    const sse = await connectSse(`${url}/sse`, { headers: { Authorization: "Bearer s3cret" } });
    expect(textOf(await sse.callTool({ name: "echo", arguments: { text: "sse" } }))).toBe("sse");
  });

  it("authenticate: a refusal is 401 with its message and the request id; a throw is 401 without its text", async () => {
    const { url } = await startEcho({
      authenticate: (req) => {
        if (req.headers["x-boom"]) throw new Error("token service down");
        return req.headers.authorization === "Bearer good"
          ? { authenticated: true }
          : { authenticated: false, error: "bad token" };
      },
    });
    const refused = await postMcp(url, init, { Authorization: "Bearer bad" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain("Bearer");
    const body = (await refused.json()) as { id: number; error: { message: string } };
    expect(body).toMatchObject({ id: 1, error: { message: expect.stringContaining("bad token") } });
    const thrown = await postMcp(url, init, { "X-Boom": "1" });
    expect(thrown.status).toBe(401);
    // The exception's text stays on the server.
    const thrownText = await thrown.text();
    expect(thrownText).toContain("authentication failed");
    expect(thrownText).not.toContain("token service down");
    const sessionId = await rawInitialize(url, { Authorization: "Bearer good" });
    expect(sessionId).toBeTruthy();
  });
});

describe("CORS", () => {
  it("lets an origin listed for CORS pass the Origin check; others stay 403", async () => {
    const { url } = await startEcho({ cors: { origin: ["https://app.example"] } });
    const listed = await postMcp(url, init, { Origin: "https://app.example" });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    await listed.text();
    const other = await postMcp(url, init, { Origin: "https://evil.example" });
    expect(other.status).toBe(403);
    await other.text();
  });

  it("answers preflight with every protocol header, DELETE, and no * with credentials", async () => {
    const { url } = await startEcho({ cors: { credentials: true } });
    const res = await fetch(`${url}/mcp`, {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:5173", "Access-Control-Request-Method": "DELETE" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-allow-methods")).toContain("DELETE");
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (const h of [
      "mcp-session-id",
      "mcp-protocol-version",
      "last-event-id",
      "mcp-method",
      "mcp-name",
      "x-api-key",
      "authorization",
    ]) {
      expect(allowed).toContain(h);
    }
  });

  it("allows the Mcp-Param-* headers a 2026-07-28 preflight asks for, and nothing else extra", async () => {
    const { url } = await startEcho();
    const res = await fetch(`${url}/mcp`, {
      method: "OPTIONS",
      headers: {
        Origin: "http://localhost:5173",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "mcp-method, mcp-param-region, x-custom",
      },
    });
    expect(res.status).toBe(204);
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    expect(allowed).toContain("mcp-param-region");
    expect(allowed).not.toContain("x-custom");
  });

  it("exposes Mcp-Session-Id on normal responses; cors: false sends no CORS headers", async () => {
    const { url } = await startEcho();
    const res = await postMcp(url, init, { Origin: "http://localhost:5173" });
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(res.headers.get("access-control-expose-headers")).toContain("Mcp-Session-Id");
    await res.text();
    const off = await startEcho({ cors: false });
    const plain = await postMcp(off.url, init, { Origin: "http://localhost:5173" });
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
    await plain.text();
  });

  it("a full options object: origin list, allowedHeaders *, maxAge", async () => {
    const { url } = await startEcho({
      allowedOrigins: "*",
      cors: { origin: ["https://a.example"], allowedHeaders: "*", maxAge: 60 },
    });
    const res = await fetch(`${url}/mcp`, {
      method: "OPTIONS",
      headers: { Origin: "https://a.example", "Access-Control-Request-Headers": "x-custom" },
    });
    expect(res.headers.get("access-control-allow-headers")).toBe("x-custom");
    expect(res.headers.get("access-control-max-age")).toBe("60");
    const other = await fetch(`${url}/mcp`, {
      method: "OPTIONS",
      headers: { Origin: "https://b.example" },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
