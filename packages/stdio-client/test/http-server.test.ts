// Against our own @mcp-proxy/http-server, bridging the echo fixture.
import { ChildProcessTransport } from "@mcp-proxy/core";
import { type HTTPServerHandle, startHTTPServer } from "@mcp-proxy/http-server";
import { echoServerCommand, waitFor } from "@mcp-proxy/test-utils";
import {
  CreateMessageRequestSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { closeRunners, spawnRunner } from "./helpers/runner.js";

let server: HTTPServerHandle | undefined;

afterEach(async () => {
  await closeRunners();
  await server?.close();
  server = undefined;
});

async function start(): Promise<HTTPServerHandle> {
  server = await startHTTPServer({
    createUpstream: () => new ChildProcessTransport(echoServerCommand()),
    port: 0,
    host: "127.0.0.1",
  });
  return server;
}

describe("against @mcp-proxy/http-server", () => {
  it("round-trips over Streamable HTTP, including a server-to-client request", async () => {
    const { url } = await start();
    // protocol "legacy": the 2025 path, where the sampling request travels on the session's streams.
    const runner = spawnRunner({ url: `${url}/mcp`, transport: "stream", protocol: "legacy" });
    runner.client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      model: "test",
      content: { type: "text", text: "local" },
    }));
    await runner.client.connect(runner.transport);
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "hi" } });
    expect(echoed.content).toEqual([{ type: "text", text: "hi" }]);
    const sampled = await runner.client.callTool({ name: "sample", arguments: { prompt: "p" } });
    expect(sampled.content).toEqual([{ type: "text", text: "sampled: local" }]);
  });

  it("round-trips over its legacy SSE endpoint", async () => {
    const { url } = await start();
    const runner = spawnRunner({ url: `${url}/sse`, transport: "sse" });
    await runner.client.connect(runner.transport);
    const added = await runner.client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
    expect(added.content).toEqual([{ type: "text", text: "3" }]);
  });

  it("auto mode picks Streamable HTTP on /mcp", async () => {
    const { url } = await start();
    const runner = spawnRunner({ url: `${url}/mcp` });
    await runner.client.connect(runner.transport);
    const tools = await runner.client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("echo");
    expect(runner.stderr()).not.toMatch(/falling back/);
  });

  it("auto mode falls back to SSE on its /sse endpoint (405 with a generic JSON-RPC error)", async () => {
    const { url } = await start();
    const runner = spawnRunner({ url: `${url}/sse` });
    await runner.client.connect(runner.transport);
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "legacy" } });
    expect(echoed.content).toEqual([{ type: "text", text: "legacy" }]);
    expect(runner.stderr()).toMatch(/falling back to HTTP\+SSE/);
  });

  it("auto mode speaks 2026-07-28 to its modern endpoint, end to end in front of the echo fixture", async () => {
    const { url } = await start();
    const runner = spawnRunner({ url: `${url}/mcp` });
    runner.client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      model: "test",
      content: { type: "text", text: "local" },
    }));
    let changes = 0;
    runner.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes++;
    });
    const logs: string[] = [];
    runner.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(String(n.params.data));
    });
    await runner.client.connect(runner.transport);
    expect(runner.stderr()).toMatch(/speaks MCP 2026-07-28/);
    expect(runner.client.getServerVersion()?.name).toBe("echo-fixture");

    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "modern" } });
    expect(echoed).toEqual({ content: [{ type: "text", text: "modern" }] });
    // The upstream's sampling request comes back as input_required, asked locally, retried.
    const sampled = await runner.client.callTool({ name: "sample", arguments: { prompt: "p" } });
    expect(sampled.content).toEqual([{ type: "text", text: "sampled: local" }]);

    await runner.client.setLoggingLevel("info");
    await runner.client.callTool({ name: "notify", arguments: {} });
    await waitFor(() => changes >= 1 && logs.includes("hello from fixture"));
  });
});
