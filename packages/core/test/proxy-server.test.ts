import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  type JSONRPCMessage,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { proxyServer } from "../src/index.js";
import { echoChild, textOf } from "./helpers.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function setup() {
  // Upstream: an SDK Client over a real child process.
  const upstream = new Client(
    { name: "proxy-upstream", version: "1.0.0" },
    { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } },
  );
  await upstream.connect(echoChild());
  cleanups.push(() => upstream.close());

  // The proxy's Server, facing the downstream client.
  const server = new Server(
    { name: "proxy", version: "1.0.0" },
    { capabilities: upstream.getServerCapabilities() ?? {} },
  );
  proxyServer({ server, client: upstream });

  const downstream = new Client(
    { name: "downstream", version: "1.0.0" },
    { capabilities: { sampling: {}, elicitation: {}, roots: {} } },
  );
  const [c, s] = InMemoryTransport.createLinkedPair();
  await server.connect(s);
  await downstream.connect(c);
  cleanups.push(
    () => downstream.close(),
    () => server.close(),
  );
  // Record what reaches the client's transport: the SDK Client may drop
  // progress it dispatches after the result, which says nothing about us.
  const received: JSONRPCMessage[] = [];
  const deliver = c.onmessage;
  c.onmessage = (message, extra) => {
    received.push(message);
    deliver?.(message, extra);
  };
  return { downstream, received };
}

describe("proxyServer", () => {
  it("forwards tools, resources and prompts", async () => {
    const { downstream } = await setup();
    expect((await downstream.listTools()).tools.map((t) => t.name)).toContain("echo");
    expect(
      textOf(await downstream.callTool({ name: "echo", arguments: { text: "via proxy" } })),
    ).toBe("via proxy");
    const read = await downstream.readResource({ uri: "fixture://greeting" });
    expect(read.contents[0]).toMatchObject({ text: "Hello, world!" });
    const prompt = await downstream.getPrompt({ name: "greet", arguments: { name: "Bo" } });
    expect(prompt.messages).toHaveLength(1);
  });

  it("forwards server->client requests: sampling, elicitation and roots", async () => {
    const { downstream } = await setup();
    downstream.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      role: "assistant",
      model: "test-model",
      content: {
        type: "text",
        text: `reply to ${(req.params.messages[0]!.content as { text: string }).text}`,
      },
    }));
    downstream.setRequestHandler(ElicitRequestSchema, async () => ({
      action: "accept",
      content: { name: "Ada" },
    }));
    downstream.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: "file:///work", name: "w" }],
    }));

    expect(textOf(await downstream.callTool({ name: "sample", arguments: { prompt: "hi" } }))).toBe(
      "sampled: reply to hi",
    );
    expect(textOf(await downstream.callTool({ name: "elicit", arguments: {} }))).toBe(
      'elicited: accept {"name":"Ada"}',
    );
    expect(JSON.parse(textOf(await downstream.callTool({ name: "roots", arguments: {} })))).toEqual(
      [{ uri: "file:///work", name: "w" }],
    );
  });

  it("forwards notifications and progress with the caller's token", async () => {
    const { downstream, received } = await setup();
    const logs: unknown[] = [];
    let listChanged = 0;
    downstream.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => {
      logs.push(n.params.data);
    });
    downstream.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      listChanged++;
    });
    await downstream.callTool({ name: "notify", arguments: {} });
    await downstream.callTool({
      name: "slow",
      arguments: { ms: 30, steps: 2 },
      _meta: { progressToken: "caller-token" },
    });
    expect(logs).toEqual(["hello from fixture"]);
    expect(listChanged).toBe(1);
    const progress = received
      .filter((m) => "method" in m && m.method === "notifications/progress")
      .map((m) => (m as unknown as { params: { progressToken: string; progress: number } }).params);
    expect(progress.map((p) => [p.progressToken, p.progress])).toEqual([
      ["caller-token", 1],
      ["caller-token", 2],
    ]);
  });

  it("refuses methods outside the advertised capabilities", async () => {
    const upstream = new Client({ name: "u", version: "1" });
    await upstream.connect(echoChild());
    cleanups.push(() => upstream.close());
    const server = new Server({ name: "proxy", version: "1" }, { capabilities: { resources: {} } });
    proxyServer({ server, client: upstream, capabilities: { resources: {} } });
    const downstream = new Client({ name: "d", version: "1" });
    const [c, s] = InMemoryTransport.createLinkedPair();
    await server.connect(s);
    await downstream.connect(c);
    cleanups.push(() => downstream.close());
    await expect(downstream.request({ method: "tools/list" }, ToolListResult)).rejects.toThrow(
      /Method not found/,
    );
    expect((await downstream.listResources()).resources.length).toBeGreaterThan(0);
  });
});

import { ListToolsResultSchema as ToolListResult } from "@modelcontextprotocol/sdk/types.js";
