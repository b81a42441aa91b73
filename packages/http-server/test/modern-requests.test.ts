// 2026-07-28 requests on /mcp in front of the 2025-era echo fixture: discover,
// tools/call with and without the mirrored headers, the validation answers
// (-32020, -32022, -32602, -32601) and the non-POST methods.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { JSON_HEADERS, startEcho } from "./helpers.js";
import { MODERN, messagesOf, modernRequest, postModern, resultOf } from "./modern-helpers.js";

describe("2026-07-28 requests", () => {
  it("answers 503 with Retry-After when every upstream it may run is busy", async () => {
    const { url } = await startEcho({ maxUpstreams: 1 });
    const abort = new AbortController();
    const slow = modernRequest(
      "tools/call",
      { name: "slow", arguments: { ms: 60_000, steps: 600 } },
      { meta: { progressToken: "p" } },
    );
    // The stream opens with the first progress: the one upstream is running this call.
    const running = await postModern(url, slow, {}, abort.signal);
    expect(running.headers.get("content-type")).toContain("text/event-stream");
    // Another capability profile needs an upstream of its own, and none is free.
    const other = modernRequest(
      "tools/call",
      { name: "echo", arguments: { text: "x" } },
      { capabilities: { sampling: {} } },
    );
    const refused = await postModern(url, other);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    const [body] = await messagesOf(refused);
    expect(body).toMatchObject({ id: other.id, error: { code: -32000 } });
    abort.abort();
  });

  it("answers server/discover from the upstream's initialize result", async () => {
    const { url } = await startEcho();
    const discover = modernRequest("server/discover");
    const res = await postModern(url, discover);
    expect(res.status).toBe(200);
    const [message] = await messagesOf(res);
    expect(message).toMatchObject({ id: discover.id });
    const result = resultOf(message);
    expect(result.supportedVersions).toContain(MODERN);
    expect(result.capabilities).toMatchObject({ tools: { listChanged: true } });
    expect(result).toMatchObject({
      resultType: "complete",
      ttlMs: expect.any(Number),
      cacheScope: expect.stringMatching(/^(public|private)$/),
      _meta: { "io.modelcontextprotocol/serverInfo": { name: expect.any(String) } },
    });
  });

  it("calls a tool with the spec headers and marks the result complete", async () => {
    const { url } = await startEcho();
    const call = modernRequest("tools/call", { name: "echo", arguments: { text: "hi" } });
    const res = await postModern(url, call);
    expect(res.status).toBe(200);
    expect(res.headers.get("mcp-session-id")).toBeNull();
    const result = resultOf((await messagesOf(res))[0]);
    expect(result).toMatchObject({ resultType: "complete", content: [{ text: "hi" }] });
  });

  it("forwards upstream logs only to a request that asked with _meta logLevel", async () => {
    const { url } = await startEcho();
    const quiet = await postModern(
      url,
      modernRequest("tools/call", { name: "notify", arguments: {} }),
    );
    expect(quiet.headers.get("content-type")).toContain("application/json");
    expect((await messagesOf(quiet)).map((m) => "method" in m && m.method)).toEqual([false]);
    const asked = modernRequest(
      "tools/call",
      { name: "notify", arguments: {} },
      { meta: { "io.modelcontextprotocol/logLevel": "info" } },
    );
    const loud = await postModern(url, asked);
    expect(loud.headers.get("content-type")).toContain("text/event-stream");
    const messages = await messagesOf(loud);
    expect(messages[0]).toMatchObject({
      method: "notifications/message",
      params: { level: "info", data: "hello from fixture" },
    });
    expect(messages.at(-1)).toMatchObject({ id: asked.id, result: { resultType: "complete" } });
    // Change notifications never ride on a request's stream.
    expect(messages.filter((m) => "method" in m && m.method !== "notifications/message")).toEqual(
      [],
    );
  });

  it("rejects a tools/call without or against its headers with 400 -32020", async () => {
    const { url } = await startEcho();
    const call = modernRequest("tools/call", { name: "echo", arguments: { text: "hi" } });
    const cases: Array<Record<string, string | null>> = [
      { "MCP-Protocol-Version": null, "Mcp-Method": null, "Mcp-Name": null },
      { "Mcp-Name": null },
      { "Mcp-Name": "add" },
      { "Mcp-Method": "tools/list" },
      { "MCP-Protocol-Version": "2025-11-25" },
    ];
    for (const headers of cases) {
      const res = await postModern(url, call, headers);
      expect(res.status, JSON.stringify(headers)).toBe(400);
      expect(await res.json()).toMatchObject({ id: call.id, error: { code: -32020 } });
    }
  });

  it("checks Mcp-Param-* against arguments the tool's schema marks with x-mcp-header", async () => {
    const { url } = await startEcho({
      createServer: () => {
        const server = new Server(
          { name: "weather", version: "1" },
          { capabilities: { tools: {} } },
        );
        server.setRequestHandler(ListToolsRequestSchema, async () => ({
          tools: [
            {
              name: "forecast",
              inputSchema: {
                type: "object",
                properties: { region: { type: "string", "x-mcp-header": "Region" } },
              },
            },
          ],
        }));
        server.setRequestHandler(CallToolRequestSchema, async (request) => ({
          content: [{ type: "text", text: `sunny in ${String(request.params.arguments?.region)}` }],
        }));
        return server;
      },
    });
    const call = (region: string) =>
      modernRequest("tools/call", { name: "forecast", arguments: { region } });
    const ok = await postModern(url, call("Nordic"), { "Mcp-Param-Region": "Nordic" });
    expect(ok.status).toBe(200);
    expect(resultOf((await messagesOf(ok))[0])).toMatchObject({
      content: [{ text: "sunny in Nordic" }],
    });
    // Non-ASCII values travel Base64-encoded in the header.
    const encoded = `=?base64?${Buffer.from("Zürich").toString("base64")}?=`;
    const utf8 = await postModern(url, call("Zürich"), { "Mcp-Param-Region": encoded });
    expect(utf8.status).toBe(200);
    await utf8.text();
    const bad: Array<Record<string, string>> = [{}, { "Mcp-Param-Region": "Elsewhere" }];
    for (const header of bad) {
      const request = call("Nordic");
      const res = await postModern(url, request, header);
      expect(res.status, JSON.stringify(header)).toBe(400);
      expect(await res.json()).toMatchObject({ id: request.id, error: { code: -32020 } });
    }
    // Unknown Mcp-Param-* headers are tolerated.
    const extra = await postModern(url, call("Nordic"), {
      "Mcp-Param-Region": "Nordic",
      "Mcp-Param-Other": "x",
    });
    expect(extra.status).toBe(200);
    await extra.text();
  });

  it("answers an unsupported version with 400 -32022 and the supported list", async () => {
    const { url } = await startEcho();
    const discover = modernRequest(
      "server/discover",
      {},
      { meta: { "io.modelcontextprotocol/protocolVersion": "v999.0.0" } },
    );
    const res = await postModern(url, discover, { "MCP-Protocol-Version": "v999.0.0" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { id: unknown; error: { code: number; data: unknown } };
    expect(body).toMatchObject({ id: discover.id, error: { code: -32022 } });
    expect(body.error.data).toMatchObject({ requested: "v999.0.0" });
    expect((body.error.data as { supported: string[] }).supported).toContain(MODERN);
  });

  it("answers a modern request missing its _meta with 400 -32602", async () => {
    const { url } = await startEcho();
    const bare = { jsonrpc: "2.0", id: 7, method: "server/discover", params: {} };
    const res = await postModern(url, bare);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ id: 7, error: { code: -32602 } });
  });

  it("answers removed and unknown methods with 404 -32601, initialize included", async () => {
    const { url } = await startEcho();
    for (const method of ["initialize", "ping", "logging/setLevel", "resources/subscribe", "x/y"]) {
      const request = modernRequest(method, method === "resources/subscribe" ? { uri: "a" } : {});
      const res = await postModern(url, request);
      expect(res.status, method).toBe(404);
      expect(await res.json()).toMatchObject({ id: request.id, error: { code: -32601 } });
    }
  });

  it("accepts a modern notification with 202", async () => {
    const { url } = await startEcho();
    const { id: _, ...notification } = modernRequest("notifications/cancelled", {
      requestId: 1,
    });
    const res = await postModern(url, notification);
    expect(res.status).toBe(202);
  });

  it("answers a sessionless modern GET or DELETE with 405, and a 2025 one as before", async () => {
    const { url } = await startEcho();
    for (const method of ["GET", "DELETE"]) {
      const modern = await fetch(`${url}/mcp`, {
        method,
        headers: { Accept: "text/event-stream", "MCP-Protocol-Version": MODERN },
      });
      expect(modern.status, method).toBe(405);
      expect(modern.headers.get("allow")).toBe("POST");
      const legacy = await fetch(`${url}/mcp`, {
        method,
        headers: { Accept: "text/event-stream" },
      });
      expect(legacy.status, method).toBe(400);
    }
  });

  it("applies auth before any upstream is touched", async () => {
    let created = 0;
    const { url } = await startEcho({
      apiKey: "secret",
      createUpstream: () => {
        created++;
        throw new Error("must not be called");
      },
    });
    const discover = modernRequest("server/discover");
    const res = await postModern(url, discover);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ id: discover.id });
    expect(created).toBe(0);
  });

  it("answers with the request id when the upstream cannot be created, and /health says so", async () => {
    const { url } = await startEcho({
      health: () => ({ ok: true }),
      createUpstream: () => {
        throw new Error("no binary");
      },
    });
    for (let i = 0; i < 4; i++) {
      const discover = modernRequest("server/discover");
      const res = await postModern(url, discover);
      expect(await res.json()).toMatchObject({
        id: discover.id,
        error: { message: expect.stringContaining("could not be created") },
      });
    }
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ ok: false, modern: { healthy: false } });
  });

  it("rejects a foreign Host or Origin on a modern request", async () => {
    const { url } = await startEcho();
    const res = await postModern(url, modernRequest("server/discover"), {
      Origin: "https://evil.example",
    });
    expect(res.status).toBe(403);
  });

  it("with modern: false treats a modern request as 2025-era (no session: 400)", async () => {
    const { url } = await startEcho({ modern: false });
    const res = await postModern(url, modernRequest("server/discover"));
    expect(res.status).toBe(400);
    await res.text();
    const legacy = await fetch(`${url}/mcp`, {
      method: "GET",
      headers: { ...JSON_HEADERS, "MCP-Protocol-Version": MODERN },
    });
    expect(legacy.status).toBe(400);
  });

  it("reports the gateway on /health once used", async () => {
    const { url } = await startEcho({ health: () => ({ ok: true }) });
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true });
    await (await postModern(url, modernRequest("server/discover"))).text();
    expect(await (await fetch(`${url}/health`)).json()).toEqual({
      ok: true,
      modern: { healthy: true, upstreamEra: "legacy" },
    });
  });
});
