import { waitFor } from "@mcp-proxy/test-utils";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { closeRunners, spawnRunner } from "./helpers/runner.js";
import { closeServers, startSseServer, startStreamServer } from "./helpers/servers.js";

afterEach(async () => {
  await closeRunners();
  await closeServers();
});

describe("round trips through the stdio front", () => {
  it("speaks Streamable HTTP, both directions", async () => {
    const server = await startStreamServer();
    const runner = spawnRunner({ url: server.url, transport: "stream" });
    const logs: string[] = [];
    runner.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(String(n.params.data));
    });
    runner.client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      model: "test",
      content: { type: "text", text: "from the local client" },
    }));
    await runner.client.connect(runner.transport);
    expect(runner.client.getServerVersion()?.name).toBe("echo-fixture");

    const tools = await runner.client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("echo");
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "héllo" } });
    expect(echoed.content).toEqual([{ type: "text", text: "héllo" }]);

    // Server -> client request over SSE, answered by the local client via POST.
    const sampled = await runner.client.callTool({ name: "sample", arguments: { prompt: "hi" } });
    expect(sampled.content).toEqual([{ type: "text", text: "sampled: from the local client" }]);

    await runner.client.callTool({ name: "notify", arguments: {} });
    await waitFor(() => logs.includes("hello from fixture"));
  });

  it("answers a server-to-client request sent on a POST's response stream", async () => {
    const server = await startStreamServer({
      createServer: () => {
        const mcp = new McpServer({ name: "in-process", version: "1.0.0" });
        mcp.registerTool("ask", { description: "samples within the call" }, async (extra) => {
          // relatedRequestId: this request travels on the call's own SSE stream.
          const answer = await extra.sendRequest(
            {
              method: "sampling/createMessage",
              params: {
                messages: [{ role: "user", content: { type: "text", text: "q" } }],
                maxTokens: 5,
              },
            },
            CreateMessageResultSchema,
          );
          return {
            content: [
              {
                type: "text",
                text: `got ${answer.content.type === "text" ? answer.content.text : "?"}`,
              },
            ],
          };
        });
        return mcp;
      },
    });
    const runner = spawnRunner({ url: server.url, transport: "stream" });
    runner.client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      model: "test",
      content: { type: "text", text: "answer" },
    }));
    await runner.client.connect(runner.transport);
    const result = await runner.client.callTool({ name: "ask", arguments: {} });
    expect(result.content).toEqual([{ type: "text", text: "got answer" }]);
  });

  it("speaks the 2024-11-05 SSE transport", async () => {
    const server = await startSseServer();
    const runner = spawnRunner({ url: server.url, transport: "sse" });
    runner.client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      model: "test",
      content: { type: "text", text: "over sse" },
    }));
    await runner.client.connect(runner.transport);
    const sampled = await runner.client.callTool({ name: "sample", arguments: { prompt: "hi" } });
    expect(sampled.content).toEqual([{ type: "text", text: "sampled: over sse" }]);
    const added = await runner.client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
    expect(added.content).toEqual([{ type: "text", text: "5" }]);
    expect(server.requests.some((r) => r.method === "POST" && r.url.startsWith("/messages"))).toBe(
      true,
    );
  });

  it("auto falls back to SSE against an SSE-only server", async () => {
    const server = await startSseServer();
    const runner = spawnRunner({ url: server.url });
    await runner.client.connect(runner.transport);
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "via sse" } });
    expect(echoed.content).toEqual([{ type: "text", text: "via sse" }]);
    // The 2026 discover probe and the Streamable HTTP probe were refused, then the SSE stream opened.
    const methods = server.requests.map(
      (r) => `${r.method} ${new URL(r.url, "http://x").pathname}`,
    );
    expect(methods.slice(0, 3)).toEqual(["POST /sse", "POST /sse", "GET /sse"]);
    expect(runner.stderr()).toMatch(/falling back to HTTP\+SSE/);
  });

  it("auto keeps Streamable HTTP when the server speaks it", async () => {
    const server = await startStreamServer();
    const runner = spawnRunner({ url: server.url });
    await runner.client.connect(runner.transport);
    await runner.client.listTools();
    expect(server.requests.every((r) => r.url.startsWith("/mcp"))).toBe(true);
    expect(runner.stderr()).not.toMatch(/falling back/);
  });
});
