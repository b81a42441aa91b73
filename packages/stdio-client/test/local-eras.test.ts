// The local client's era × the remote server's era: a 2025 local client
// (initialize first; the SDK v1 client) or a 2026-07-28 one (no initialize,
// `_meta` on every request; the v2 SDK client pinned to 2026-07-28, or raw
// JSON lines), each in front of a 2025-era remote (Streamable HTTP, HTTP+SSE)
// and a 2026-07-28 remote, through a real stdio front process.
import { waitFor } from "@mcp-proxy/test-utils";
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  closeModernRunners,
  envelope,
  MODERN,
  MODERN_CLIENT_INFO,
  spawnLineRunner,
  spawnModernRunner,
} from "./helpers/modern-runner.js";
import {
  closeModernServers,
  QUESTION,
  REQUEST_STATE,
  startModernServer,
} from "./helpers/modern-server.js";
import { closeRunners, spawnRunner } from "./helpers/runner.js";
import { closeServers, startSseServer, startStreamServer } from "./helpers/servers.js";

afterEach(async () => {
  await closeModernRunners();
  await closeRunners();
  await closeServers();
  await closeModernServers();
});

const SAMPLED = {
  role: "assistant" as const,
  model: "test",
  content: { type: "text" as const, text: "from the local client" },
};

describe("a 2025 local client", () => {
  it("in front of a 2025 remote: initialize, a tool call and a server-to-client request", async () => {
    const server = await startStreamServer();
    const runner = spawnRunner({ url: server.url });
    runner.client.setRequestHandler(CreateMessageRequestSchema, async () => SAMPLED);
    await runner.client.connect(runner.transport);
    expect(runner.client.getServerVersion()?.name).toBe("echo-fixture");
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "old" } });
    expect(echoed.content).toEqual([{ type: "text", text: "old" }]);
    const sampled = await runner.client.callTool({ name: "sample", arguments: { prompt: "p" } });
    expect(sampled.content).toEqual([{ type: "text", text: "sampled: from the local client" }]);
    // Only the probe was a 2026-07-28 request.
    const modern = server.requests.filter((r) => r.headers["mcp-method"] !== undefined);
    expect(modern.map((r) => r.headers["mcp-method"])).toEqual(["server/discover"]);
  });

  it("in front of a 2026-07-28 remote: initialize, a tool call and an input request answered", async () => {
    const server = await startModernServer();
    const runner = spawnRunner({ url: server.url });
    runner.client.setRequestHandler(CreateMessageRequestSchema, async () => SAMPLED);
    await runner.client.connect(runner.transport);
    expect(runner.client.getServerVersion()).toEqual({ name: "modern-fixture", version: "2.0.0" });
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "new" } });
    expect(echoed).toEqual({ content: [{ type: "text", text: "new" }] });
    const sampled = await runner.client.callTool({ name: "ask", arguments: {} });
    expect(sampled.content).toEqual([{ type: "text", text: "sampled: from the local client" }]);
    const retry = server.requests.filter((r) => r.body.params?.name === "ask")[1];
    expect(retry?.body.params?.requestState).toBe(REQUEST_STATE);
  });
});

describe("a 2026-07-28 local client", () => {
  it("in front of a 2026-07-28 remote: discover, a tool call, an MRTR round and a listen, relayed as they are", async () => {
    const server = await startModernServer();
    const runner = spawnModernRunner({ url: server.url }, { sampling: {} });
    const asked: unknown[] = [];
    runner.client.setRequestHandler("sampling/createMessage", async (request) => {
      asked.push(request.params.messages);
      return SAMPLED;
    });
    let changes = 0;
    runner.client.setNotificationHandler("notifications/tools/list_changed", () => {
      changes++;
    });
    await runner.client.connect(runner.transport);
    expect(runner.client.getProtocolEra()).toBe("modern");
    expect(runner.client.getServerVersion()).toEqual({ name: "modern-fixture", version: "2.0.0" });

    // The v2 client probes on a sibling process: this front's first line is the call.
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "héllo" } });
    expect(echoed.content).toEqual([{ type: "text", text: "héllo" }]);
    await waitFor(() => /relaying/.test(runner.stderr()));

    // The client itself saw input_required and retried with the server's key and state.
    const sampled = await runner.client.callTool({ name: "ask", arguments: {} });
    expect(sampled.content).toEqual([{ type: "text", text: "sampled: from the local client" }]);
    expect(asked).toEqual([[{ role: "user", content: { type: "text", text: "q?" } }]]);
    const retry = server.requests.filter((r) => r.body.params?.name === "ask")[1];
    expect(retry?.body.params?.requestState).toBe(REQUEST_STATE);
    expect(retry?.body.params?.inputResponses).toMatchObject({ question: SAMPLED });

    const subscription = await runner.client.listen({ toolsListChanged: true });
    await waitFor(() => server.listeners === 1);
    await runner.client.callTool({ name: "touch", arguments: {} });
    await waitFor(() => changes === 1);
    // Closing the subscription (notifications/cancelled on stdio) closes the listen stream.
    await subscription.close();
    await waitFor(() => server.listeners === 0);

    // Every request went out as the client sent it, in its own name, with the headers.
    expect(server.requests.map((r) => r.body.method)).not.toContain("initialize");
    const call = server.requests.find((r) => r.body.params?.name === "echo");
    expect(call?.headers["mcp-protocol-version"]).toBe(MODERN);
    expect(call?.headers["mcp-name"]).toBe("echo");
    expect(call?.body.params?._meta?.["io.modelcontextprotocol/clientInfo"]).toEqual(
      MODERN_CLIENT_INFO,
    );
  });

  it("in front of a 2025 remote: the gateway answers discover, turns sampling into input_required and maps listen", async () => {
    const server = await startStreamServer();
    const runner = spawnModernRunner({ url: server.url }, { sampling: {} });
    const prompts: unknown[] = [];
    runner.client.setRequestHandler("sampling/createMessage", async (request) => {
      prompts.push(request.params.messages[0]?.content);
      return SAMPLED;
    });
    let changes = 0;
    runner.client.setNotificationHandler("notifications/tools/list_changed", () => {
      changes++;
    });
    await runner.client.connect(runner.transport);
    expect(runner.client.getProtocolEra()).toBe("modern");
    expect(runner.client.getServerVersion()?.name).toBe("echo-fixture");
    expect(runner.client.getInstructions()).toBe("Fixture server for mcp-proxy tests.");

    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "x" } });
    expect(echoed.content).toEqual([{ type: "text", text: "x" }]);
    await waitFor(() => /translating for the 2025-era server/.test(runner.stderr()));
    const sampled = await runner.client.callTool({ name: "sample", arguments: { prompt: "p" } });
    expect(sampled.content).toEqual([{ type: "text", text: "sampled: from the local client" }]);
    expect(prompts).toEqual([{ type: "text", text: "p" }]);

    const subscription = await runner.client.listen({ toolsListChanged: true });
    expect(subscription.honoredFilter).toMatchObject({ toolsListChanged: true });
    // The server's change notifications travel on the session's GET stream.
    await waitFor(() => server.requests.some((r) => r.method === "GET"));
    await runner.client.callTool({ name: "notify", arguments: {} });
    await waitFor(() => changes >= 1);
    await subscription.close();

    // A probe per front process (the v2 client probes on a sibling), then plain 2025 traffic.
    const modern = server.requests.filter((r) => r.headers["mcp-method"] !== undefined);
    expect(modern.every((r) => r.headers["mcp-method"] === "server/discover")).toBe(true);
  });

  it("in front of a 2025 HTTP+SSE remote: discover and a tool call through the gateway", async () => {
    const server = await startSseServer();
    const runner = spawnModernRunner({ url: server.url, transport: "sse" });
    await runner.client.connect(runner.transport);
    expect(runner.client.getServerVersion()?.name).toBe("echo-fixture");
    const added = await runner.client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
    expect(added.content).toEqual([{ type: "text", text: "5" }]);
  });

  it('protocol "legacy" sends no probe: the gateway serves it', async () => {
    const server = await startStreamServer();
    const runner = spawnModernRunner({ url: server.url, protocol: "legacy" });
    await runner.client.connect(runner.transport);
    await runner.client.callTool({ name: "echo", arguments: { text: "x" } });
    expect(server.requests.every((r) => r.headers["mcp-method"] === undefined)).toBe(true);
  });
});

describe("a 2026-07-28 local client on the wire", () => {
  it("in front of a 2025 remote that forgot its session: the next request opens a new one", async () => {
    const server = await startStreamServer();
    const runner = spawnLineRunner({ url: server.url, protocol: "legacy" });
    const call = (id: number, text: string) =>
      runner.send({
        id,
        method: "tools/call",
        params: { name: "echo", arguments: { text }, _meta: envelope() },
      });
    call(1, "before");
    expect((await runner.answer(1)).result).toMatchObject({ content: [{ text: "before" }] });
    expect(server.sessions.size).toBe(1);
    await server.dropSessions();
    // The request that finds the session gone fails; the gateway's upstream closes with it.
    call(2, "lost");
    expect((await runner.answer(2)).error).toBeDefined();
    call(3, "after");
    expect((await runner.answer(3)).result).toMatchObject({ content: [{ text: "after" }] });
    expect(server.sessions.size).toBe(1);
  });

  it("gets input_required as the server sent it, retries itself and listens, from its very first line", async () => {
    const server = await startModernServer();
    const runner = spawnLineRunner({ url: server.url });
    const meta = envelope({ sampling: {} });
    runner.send({
      id: 1,
      method: "tools/call",
      params: { name: "ask", arguments: {}, _meta: meta },
    });
    const first = await runner.answer(1);
    expect(first.result).toEqual({
      resultType: "input_required",
      inputRequests: { question: QUESTION },
      requestState: REQUEST_STATE,
    });

    runner.send({
      id: 2,
      method: "tools/call",
      params: {
        name: "ask",
        arguments: {},
        inputResponses: { question: SAMPLED },
        requestState: REQUEST_STATE,
        _meta: meta,
      },
    });
    const second = await runner.answer(2);
    expect(second.result).toEqual({
      resultType: "complete",
      content: [{ type: "text", text: "sampled: from the local client" }],
    });

    runner.send({
      id: "listen-1",
      method: "subscriptions/listen",
      params: { notifications: { toolsListChanged: true }, _meta: meta },
    });
    await waitFor(() => server.listeners === 1);
    runner.send({
      id: 3,
      method: "tools/call",
      params: { name: "touch", arguments: {}, _meta: meta },
    });
    await runner.answer(3);
    const tagged = { "io.modelcontextprotocol/subscriptionId": "listen-1" };
    await waitFor(() => runner.lines.some((l) => l.method === "notifications/tools/list_changed"));
    expect(runner.lines.filter((l) => l.method !== undefined)).toEqual([
      {
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: { notifications: { toolsListChanged: true }, _meta: tagged },
      },
      { jsonrpc: "2.0", method: "notifications/tools/list_changed", params: { _meta: tagged } },
    ]);
    runner.send({ method: "notifications/cancelled", params: { requestId: "listen-1" } });
    await waitFor(() => server.listeners === 0);
    expect(server.requests.filter((r) => r.body.method === "server/discover")).toHaveLength(1);
  });

  it("cancels a request with notifications/cancelled by closing its response stream", async () => {
    const server = await startModernServer();
    const runner = spawnLineRunner({ url: server.url });
    runner.send({
      id: 7,
      method: "tools/call",
      params: { name: "hang", arguments: {}, _meta: envelope() },
    });
    await waitFor(() => server.requests.some((r) => r.body.params?.name === "hang"));
    runner.send({ method: "notifications/cancelled", params: { requestId: 7 } });
    await waitFor(() => server.cancelled.length === 1);
    expect(runner.lines.some((l) => l.id === 7)).toBe(false);
  });

  it("gets x-mcp-header arguments mirrored into Mcp-Param headers, which stdio cannot carry", async () => {
    const server = await startModernServer();
    const runner = spawnLineRunner({ url: server.url });
    runner.send({
      id: 1,
      method: "tools/call",
      params: { name: "region", arguments: { region: "eu-1" }, _meta: envelope() },
    });
    const answer = await runner.answer(1);
    expect(answer.result).toEqual({
      resultType: "complete",
      content: [{ type: "text", text: "eu-1" }],
    });
    // The schema was unknown: refused once, tools listed in the client's name, sent again.
    const calls = server.requests.filter((r) => r.body.params?.name === "region");
    expect(calls.map((r) => r.headers["mcp-param-region"])).toEqual([undefined, "eu-1"]);
    const list = server.requests.find((r) => r.body.method === "tools/list");
    expect(list?.body.params?._meta).toEqual(envelope());
  });

  it("through the gateway: input_required under the gateway's key, answered by the retry", async () => {
    const server = await startStreamServer();
    const runner = spawnLineRunner({ url: server.url });
    const meta = envelope({ elicitation: {} });
    runner.send({
      id: 1,
      method: "tools/call",
      params: { name: "elicit", arguments: {}, _meta: meta },
    });
    const first = await runner.answer(1);
    const result = first.result as {
      resultType: string;
      inputRequests: Record<string, { method: string }>;
      requestState: string;
    };
    expect(result.resultType).toBe("input_required");
    const [[key, input]] = Object.entries(result.inputRequests) as [[string, { method: string }]];
    expect(input.method).toBe("elicitation/create");
    runner.send({
      id: 2,
      method: "tools/call",
      params: {
        name: "elicit",
        arguments: {},
        inputResponses: { [key]: { action: "accept", content: { name: "Ada" } } },
        requestState: result.requestState,
        _meta: meta,
      },
    });
    const second = await runner.answer(2);
    expect(second.result).toMatchObject({
      resultType: "complete",
      content: [{ type: "text", text: 'elicited: accept {"name":"Ada"}' }],
    });
  });

  it('protocol "modern" answers the first request with an error when the remote is 2025-era', async () => {
    const server = await startStreamServer();
    const runner = spawnLineRunner({ url: server.url, protocol: "modern" });
    runner.send({ id: 1, method: "server/discover", params: { _meta: envelope() } });
    const answer = await runner.answer(1);
    expect((answer.error as { message: string }).message).toMatch(/does not speak MCP 2026-07-28/);
  });
});
