import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { closeRunners, spawnRunner } from "./helpers/runner.js";
import { closeServers, startSseServer, startStreamServer } from "./helpers/servers.js";

afterEach(async () => {
  await closeRunners();
  await closeServers();
});

describe("headers and auth", () => {
  it("sends static headers, the bearer token and per-request headers", async () => {
    const server = await startStreamServer({ requireBearer: "s3cret" });
    const runner = spawnRunner({
      url: server.url,
      transport: "stream",
      headers: { "X-Team": "blue" },
      bearer: "s3cret",
      countHeader: "x-request-count",
    });
    await runner.client.connect(runner.transport);
    await runner.client.listTools();
    const posts = server.requests.filter((r) => r.method === "POST");
    expect(posts.length).toBeGreaterThanOrEqual(3);
    for (const post of posts) {
      expect(post.headers["x-team"]).toBe("blue");
      expect(post.headers.authorization).toBe("Bearer s3cret");
    }
    // getHeaders() runs per request: every request carries a fresh value.
    const counts = server.requests.map((r) => Number(r.headers["x-request-count"]));
    expect(new Set(counts).size).toBe(counts.length);
  });

  it("keeps the session id and sends MCP-Protocol-Version after initialize", async () => {
    const server = await startStreamServer();
    // protocol "legacy": the first request must be the initialize, not a discover probe.
    const runner = spawnRunner({ url: server.url, transport: "stream", protocol: "legacy" });
    await runner.client.connect(runner.transport);
    await runner.client.listTools();
    const [init, ...rest] = server.requests;
    expect(init?.headers["mcp-session-id"]).toBeUndefined();
    expect(init?.headers["mcp-protocol-version"]).toBeUndefined();
    const sessionId = [...server.sessions.keys()][0];
    expect(rest.length).toBeGreaterThan(0);
    for (const request of rest) {
      expect(request.headers["mcp-session-id"]).toBe(sessionId);
      expect(request.headers["mcp-protocol-version"]).toBe(LATEST_PROTOCOL_VERSION);
    }
  });

  it("turns a 401 into a clear error for the client and a line on stderr", async () => {
    const server = await startStreamServer({ requireBearer: "right" });
    const runner = spawnRunner({ url: server.url, transport: "stream", bearer: "wrong" });
    await expect(runner.client.connect(runner.transport)).rejects.toThrow(/401 Unauthorized/);
    expect(runner.stderr()).toMatch(/error Remote MCP server .* answered 401 Unauthorized/);
  });

  it("turns a 401 from an SSE server into a clear error too (auto mode)", async () => {
    const server = await startSseServer({ requireBearer: "right" });
    const runner = spawnRunner({ url: server.url });
    await expect(runner.client.connect(runner.transport)).rejects.toThrow(/401 Unauthorized/);
    expect(runner.stderr()).toMatch(/401 Unauthorized/);
  });
});
