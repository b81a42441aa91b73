import { waitFor } from "@mcp-proxy/test-utils";
import {
  CreateMessageRequestSchema,
  ListRootsRequestSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { closeModernServers, REQUEST_STATE, startModernServer } from "./helpers/modern-server.js";
import { closeRunners, spawnRunner } from "./helpers/runner.js";
import { closeServers, startStreamServer } from "./helpers/servers.js";

afterEach(async () => {
  await closeRunners();
  await closeServers();
  await closeModernServers();
});

const META_VERSION = "io.modelcontextprotocol/protocolVersion";

describe("2026-07-28 remote servers", () => {
  it("auto speaks 2026-07-28 to a modern server and answers initialize from server/discover", async () => {
    const server = await startModernServer();
    const runner = spawnRunner({ url: server.url });
    await runner.client.connect(runner.transport);
    expect(runner.client.getServerVersion()).toEqual({ name: "modern-fixture", version: "2.0.0" });
    expect(runner.client.getInstructions()).toBe("a modern fixture");
    expect(runner.client.getServerCapabilities()?.tools?.listChanged).toBe(true);

    await runner.client.setLoggingLevel("debug");
    await runner.client.ping();
    const tools = await runner.client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("echo");
    expect(tools).not.toHaveProperty("resultType");
    expect(tools).not.toHaveProperty("ttlMs");
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "héllo" } });
    expect(echoed).toEqual({ content: [{ type: "text", text: "héllo" }] });

    const methods = server.requests.map((r) => r.body.method);
    expect(methods[0]).toBe("server/discover");
    // initialize, ping and setLevel were answered locally.
    expect(methods).not.toContain("initialize");
    expect(methods).not.toContain("ping");
    expect(methods).not.toContain("logging/setLevel");
    const call = server.requests.find((r) => r.body.method === "tools/call");
    expect(call?.headers["mcp-protocol-version"]).toBe("2026-07-28");
    expect(call?.headers["mcp-method"]).toBe("tools/call");
    expect(call?.headers["mcp-name"]).toBe("echo");
    expect(call?.headers["mcp-session-id"]).toBeUndefined();
    const meta = call?.body.params?._meta ?? {};
    expect(meta[META_VERSION]).toBe("2026-07-28");
    expect(meta["io.modelcontextprotocol/clientInfo"]).toEqual({
      name: "stdio-client-test",
      version: "1.0.0",
    });
    expect(meta["io.modelcontextprotocol/clientCapabilities"]).toMatchObject({ sampling: {} });
    expect(meta["io.modelcontextprotocol/logLevel"]).toBe("debug");
  });

  it("turns input_required into a sampling request to the local client and retries", async () => {
    const server = await startModernServer();
    const runner = spawnRunner({ url: server.url });
    const asked: unknown[] = [];
    runner.client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      asked.push(request.params.messages);
      return {
        role: "assistant",
        model: "test",
        content: { type: "text", text: "from the local client" },
      };
    });
    await runner.client.connect(runner.transport);
    const result = await runner.client.callTool({ name: "ask", arguments: {} });
    expect(result.content).toEqual([{ type: "text", text: "sampled: from the local client" }]);
    expect(asked).toEqual([[{ role: "user", content: { type: "text", text: "q?" } }]]);

    const calls = server.requests.filter((r) => r.body.method === "tools/call");
    expect(calls).toHaveLength(2);
    const [first, retry] = calls;
    expect(retry?.body.id).not.toEqual(first?.body.id);
    expect(first?.body.params?.requestState).toBeUndefined();
    expect(retry?.body.params?.requestState).toBe(REQUEST_STATE);
    expect(retry?.body.params?.inputResponses).toMatchObject({
      question: { role: "assistant", content: { type: "text", text: "from the local client" } },
    });
  });

  it("loops over several input_required rounds, and bounds them", async () => {
    const server = await startModernServer();
    const runner = spawnRunner({ url: server.url });
    runner.client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      model: "test",
      content: { type: "text", text: "a" },
    }));
    runner.client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: "file:///one" }, { uri: "file:///two" }],
    }));
    await runner.client.connect(runner.transport);
    const result = await runner.client.callTool({ name: "ask-twice", arguments: {} });
    expect(result.content).toEqual([{ type: "text", text: "2 roots" }]);
    const states = server.requests
      .filter((r) => r.body.params?.name === "ask-twice")
      .map((r) => r.body.params?.requestState);
    expect(states).toEqual([undefined, "round-1", "round-2"]);

    await expect(runner.client.callTool({ name: "never-done", arguments: {} })).rejects.toThrow(
      /The upstream still asked for input after 8 rounds/,
    );
    expect(server.requests.filter((r) => r.body.params?.name === "never-done")).toHaveLength(9);
  });

  it("does not fall back to initialize when a modern server refuses our version", async () => {
    const server = await startModernServer({ supportedVersions: ["2099-01-01"] });
    const runner = spawnRunner({ url: server.url });
    await expect(runner.client.connect(runner.transport)).rejects.toThrow(
      /modern server refused our probe.*2099-01-01/,
    );
    expect(server.requests.map((r) => r.body.method)).toEqual(["server/discover"]);
  });

  it("delivers list_changed from the subscriptions/listen stream without the subscription tag", async () => {
    const server = await startModernServer();
    const runner = spawnRunner({ url: server.url });
    const changes: unknown[] = [];
    runner.client.setNotificationHandler(ToolListChangedNotificationSchema, (n) => {
      changes.push(n.params);
    });
    await runner.client.connect(runner.transport);
    await waitFor(() => server.listeners === 1);
    const listen = server.requests.find((r) => r.body.method === "subscriptions/listen");
    expect(listen?.body.params?.notifications).toEqual({ toolsListChanged: true });

    await runner.client.callTool({ name: "touch", arguments: {} });
    await waitFor(() => changes.length === 1);
    expect(changes[0]).toBeUndefined();

    // A resource subscription re-opens the one listen stream with the new filter.
    await runner.client.subscribeResource({ uri: "fixture://a" });
    await waitFor(
      () =>
        server.requests.filter((r) => r.body.method === "subscriptions/listen").length === 2 &&
        server.listeners === 1,
    );
    const reopened = server.requests.filter((r) => r.body.method === "subscriptions/listen")[1];
    expect(reopened?.body.params?.notifications).toEqual({
      toolsListChanged: true,
      resourceSubscriptions: ["fixture://a"],
    });
  });

  it("reopens a dropped listen stream and tells the client to refetch its lists", async () => {
    const server = await startModernServer();
    const runner = spawnRunner({ url: server.url });
    let changes = 0;
    runner.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes++;
    });
    await runner.client.connect(runner.transport);
    await waitFor(() => server.listeners === 1);
    await runner.client.callTool({ name: "drop", arguments: {} });
    const listens = () => server.requests.filter((r) => r.body.method === "subscriptions/listen");
    await waitFor(() => listens().length === 2 && server.listeners === 1, 10_000);
    // Changes made while it was down are unknown: the client hears a list_changed.
    await waitFor(() => changes === 1);
  });

  it("mirrors x-mcp-header arguments into Mcp-Param headers, listing tools when needed", async () => {
    const server = await startModernServer();
    const runner = spawnRunner({ url: server.url });
    await runner.client.connect(runner.transport);
    // No tools/list yet: the first attempt lacks the header, is refused, and is retried.
    const result = await runner.client.callTool({ name: "region", arguments: { region: "eu-1" } });
    expect(result.content).toEqual([{ type: "text", text: "eu-1" }]);
    const calls = server.requests.filter((r) => r.body.params?.name === "region");
    expect(calls.at(-1)?.headers["mcp-param-region"]).toBe("eu-1");
    expect(server.requests.some((r) => r.body.method === "tools/list")).toBe(true);
  });

  it("cancels a request by closing its response stream", async () => {
    const server = await startModernServer();
    const runner = spawnRunner({ url: server.url });
    await runner.client.connect(runner.transport);
    const abort = new AbortController();
    const pending = runner.client.callTool({ name: "hang", arguments: {} }, undefined, {
      signal: abort.signal,
    });
    await waitFor(() => server.requests.some((r) => r.body.params?.name === "hang"));
    abort.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => server.cancelled.length === 1);
  });

  it("auto falls back to the 2025 handshake against a 2025-only server", async () => {
    const server = await startStreamServer();
    const runner = spawnRunner({ url: server.url });
    await runner.client.connect(runner.transport);
    expect(runner.client.getServerVersion()?.name).toBe("echo-fixture");
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "old" } });
    expect(echoed.content).toEqual([{ type: "text", text: "old" }]);
    const [probe, ...rest] = server.requests;
    expect(probe?.headers["mcp-method"]).toBe("server/discover");
    expect(rest.every((r) => r.headers["mcp-method"] === undefined)).toBe(true);
    expect(runner.stderr()).toMatch(/Speaking the 2025 protocol/);
  });

  it('protocol "legacy" never sends a 2026-07-28 request', async () => {
    const server = await startStreamServer();
    const runner = spawnRunner({ url: server.url, protocol: "legacy" });
    await runner.client.connect(runner.transport);
    await runner.client.listTools();
    expect(server.requests.length).toBeGreaterThan(0);
    for (const request of server.requests) {
      expect(request.headers["mcp-method"]).toBeUndefined();
      expect(request.headers["mcp-protocol-version"]).not.toBe("2026-07-28");
    }
  });

  it('protocol "modern" fails the initialize of a 2025-only server', async () => {
    const server = await startStreamServer();
    const runner = spawnRunner({ url: server.url, protocol: "modern" });
    await expect(runner.client.connect(runner.transport)).rejects.toThrow(/2026-07-28/);
  });
});
