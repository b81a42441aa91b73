import { waitFor } from "@mcp-proxy/test-utils";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { closeRunners, spawnRunner } from "./helpers/runner.js";
import { closeServers, startStreamServer } from "./helpers/servers.js";

afterEach(async () => {
  await closeRunners();
  await closeServers();
});

const loggingServer = () =>
  new McpServer({ name: "in-process", version: "1.0.0" }, { capabilities: { logging: {} } });

describe("sessions", () => {
  it("resumes a dropped GET stream with Last-Event-ID and loses no notification", async () => {
    const server = await startStreamServer({ createServer: loggingServer });
    // protocol "legacy": the test counts the server instances, and a discover probe makes one.
    const runner = spawnRunner({ url: server.url, transport: "stream", protocol: "legacy" });
    const received: string[] = [];
    runner.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      received.push(String(n.params.data));
    });
    await runner.client.connect(runner.transport);
    const gets = () => server.requests.filter((r) => r.method === "GET");
    await waitFor(() => gets().length === 1);
    const mcp = server.servers[0]!;
    const transport = [...server.sessions.values()][0]!;

    await mcp.server.sendLoggingMessage({ level: "info", data: "before" });
    await waitFor(() => received.includes("before"));

    // Drop the standalone stream, then notify while the client is away.
    transport.closeStandaloneSSEStream();
    await mcp.server.sendLoggingMessage({ level: "info", data: "during-1" });
    await mcp.server.sendLoggingMessage({ level: "info", data: "during-2" });

    await waitFor(() => received.includes("during-2"), 10_000);
    await mcp.server.sendLoggingMessage({ level: "info", data: "after" });
    await waitFor(() => received.includes("after"));

    expect(received).toEqual(["before", "during-1", "during-2", "after"]);
    const resumed = gets().at(-1);
    expect(gets().length).toBeGreaterThanOrEqual(2);
    expect(resumed?.headers["last-event-id"]).toBeTruthy();
  });

  it("resumes a response stream the server closed before answering", async () => {
    const server = await startStreamServer({
      createServer: () => {
        const mcp = loggingServer();
        mcp.registerTool(
          "drop-then-answer",
          { description: "closes its stream, then answers" },
          async (extra) => {
            // Ask the client to poll: the answer must arrive on the resumed stream.
            extra.closeSSEStream?.();
            await new Promise((resolve) => setTimeout(resolve, 100));
            return { content: [{ type: "text", text: "answered after the drop" }] };
          },
        );
        return mcp;
      },
    });
    const runner = spawnRunner({ url: server.url, transport: "stream" });
    await runner.client.connect(runner.transport);
    const result = await runner.client.callTool({ name: "drop-then-answer", arguments: {} });
    expect(result.content).toEqual([{ type: "text", text: "answered after the drop" }]);
    expect(runner.stderr()).toMatch(/Response stream dropped before the answer; resuming/);
    const resumes = server.requests.filter((r) => r.method === "GET" && r.headers["last-event-id"]);
    expect(resumes.length).toBeGreaterThanOrEqual(1);
  });

  it("ends the remote session with DELETE when stdin closes", async () => {
    const server = await startStreamServer();
    const runner = spawnRunner({ url: server.url, transport: "stream" });
    await runner.client.connect(runner.transport);
    await runner.client.listTools();
    const sessionId = [...server.sessions.keys()][0];
    expect(sessionId).toBeDefined();
    const exited = new Promise<void>((resolve) => (runner.transport.onclose = () => resolve()));
    await runner.close();
    await exited;
    expect(server.deleted).toEqual([sessionId]);
    expect(server.sessions.size).toBe(0);
  });

  it("reports a forgotten session (404) as needing re-initialization", async () => {
    const server = await startStreamServer();
    // protocol "legacy": the test counts sessionless POSTs, and a discover probe is one.
    const runner = spawnRunner({ url: server.url, transport: "stream", protocol: "legacy" });
    await runner.client.connect(runner.transport);
    // The server forgets every session (e.g. it restarted).
    const transports = [...server.sessions.values()];
    server.sessions.clear();
    await Promise.all(transports.map((t) => t.close()));

    await expect(runner.client.listTools()).rejects.toThrow(/must re-initialize/);
    expect(runner.stderr()).toMatch(/no longer knows this session/);
    // Later requests fail the same way, promptly; no fresh session is opened silently.
    await expect(
      runner.client.callTool({ name: "echo", arguments: { text: "x" } }),
    ).rejects.toThrow(/must re-initialize/);
    expect(
      server.requests.filter((r) => r.method === "POST" && !r.headers["mcp-session-id"]),
    ).toHaveLength(1);
  });
});
