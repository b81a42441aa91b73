import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ChildProcessTransport } from "@mcp-proxy/core";
import { echoServerCommand } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { type TapEvent, tapTransport } from "../src/index.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function spawnEcho(): ChildProcessTransport {
  const transport = new ChildProcessTransport(echoServerCommand());
  cleanups.push(() => transport.close());
  return transport;
}

const label = (m: JSONRPCMessage): string =>
  "method" in m ? `${m.method}${"id" in m ? `#${m.id}` : ""}` : `#${(m as { id: unknown }).id}`;

describe("tapTransport over a real child process", () => {
  it("reports every message once, in order, and leaves the traffic unchanged", async () => {
    const inner = spawnEcho();
    const innerSeen: JSONRPCMessage[] = [];
    let innerCloses = 0;
    inner.onmessage = (message) => innerSeen.push(message);
    inner.onclose = () => innerCloses++;

    const events: TapEvent[] = [];
    const tapped = tapTransport(inner, (event) => events.push(event));
    const client = new Client({ name: "tap-test", version: "1.0.0" });
    await client.connect(tapped);
    // Observe what reaches the client through the tap (the SDK installed its handler).
    const clientSeen: JSONRPCMessage[] = [];
    const sdkHandler = tapped.onmessage!;
    tapped.onmessage = (message, extra) => {
      clientSeen.push(message);
      sdkHandler(message, extra);
    };

    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("echo");
    const echoed = await client.callTool({ name: "echo", arguments: { text: "hello" } });
    expect(echoed.content).toEqual([{ type: "text", text: "hello" }]);
    const resource = await client.readResource({ uri: "fixture://greeting" });
    expect(resource.contents[0]).toMatchObject({ text: "Hello, world!" });
    const prompt = await client.getPrompt({ name: "greet", arguments: { name: "Ada" } });
    expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Please greet Ada." });
    await client.close();

    const sends = events.flatMap((e) => (e.type === "send" ? [e.message] : []));
    const received = events.flatMap((e) => (e.type === "message" ? [e.message] : []));
    expect(sends.map(label)).toEqual([
      "initialize#0",
      "notifications/initialized",
      "tools/list#1",
      "tools/call#2",
      "resources/read#3",
      "prompts/get#4",
    ]);
    expect(received.map(label)).toEqual(["#0", "#1", "#2", "#3", "#4"]);
    // The very objects the wrapped transport produced, each once, in order.
    expect(received).toHaveLength(innerSeen.length);
    for (const [i, message] of received.entries()) expect(message).toBe(innerSeen[i]);
    expect(clientSeen).toEqual(innerSeen.slice(1)); // the first arrived before our observer
    expect(clientSeen[0]).toBe(innerSeen[1]);

    expect(events[0]?.type).toBe("start");
    expect(events.filter((e) => e.type === "close")).toHaveLength(1);
    expect(events.at(-1)?.type).toBe("close");
    expect(innerCloses).toBe(1);
    const times = events.map((e) => e.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("keeps the traffic flowing when onEvent throws", async () => {
    const tapped = tapTransport(spawnEcho(), () => {
      throw new Error("observer bug");
    });
    const client = new Client({ name: "tap-test", version: "1.0.0" });
    await client.connect(tapped);
    const echoed = await client.callTool({ name: "echo", arguments: { text: "still here" } });
    expect(echoed.content).toEqual([{ type: "text", text: "still here" }]);
    await client.close();
  });

  it("reports a failed start as an error and still rejects", async () => {
    const inner = new ChildProcessTransport({ command: "mcp-proxy-no-such-command-xyz" });
    cleanups.push(() => inner.close());
    const events: TapEvent[] = [];
    const tapped = tapTransport(inner, (event) => events.push(event));
    const failure = await tapped.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(events.map((e) => e.type)).toEqual(["start", "error"]);
    expect(events[1]).toMatchObject({ error: failure });
  });

  it("has no setProtocolVersion when the wrapped transport has none", () => {
    const inner: Transport = spawnEcho();
    expect(inner.setProtocolVersion).toBeUndefined();
    expect(tapTransport(inner, () => {}).setProtocolVersion).toBeUndefined();
  });
});

describe("tapTransport over in-memory transports", () => {
  it("passes the same objects both ways and fires every callback", async () => {
    const [left, right] = InMemoryTransport.createLinkedPair();
    const before: string[] = [];
    left.onmessage = (message) => before.push(`before:${label(message)}`);
    left.onerror = (error) => before.push(`before-error:${error.message}`);
    left.onclose = () => before.push("before-close");
    const events: TapEvent[] = [];
    const tapped = tapTransport(left, (event) => events.push(event));
    const after: string[] = [];
    tapped.onmessage = (message) => after.push(label(message));
    tapped.onclose = () => after.push("closed");

    const rightSeen: JSONRPCMessage[] = [];
    right.onmessage = (message) => rightSeen.push(message);
    await right.start();
    await tapped.start();

    const outgoing: JSONRPCMessage = { jsonrpc: "2.0", id: 1, method: "ping" };
    await tapped.send(outgoing);
    expect(rightSeen[0]).toBe(outgoing);
    const incoming: JSONRPCMessage = { jsonrpc: "2.0", id: 1, result: {} };
    await right.send(incoming);
    left.onerror?.(new Error("boom"));
    await tapped.close();

    // InMemoryTransport reports its own close twice; the tap mirrors it faithfully.
    const closes = before.filter((entry) => entry === "before-close").length;
    expect(closes).toBeGreaterThan(0);
    expect(events.map((e) => e.type)).toEqual([
      "start",
      "send",
      "message",
      "error",
      ...Array<string>(closes).fill("close"),
    ]);
    expect(events[1]).toMatchObject({ message: outgoing });
    expect((events[1] as { message: unknown }).message).toBe(outgoing);
    expect((events[2] as { message: unknown }).message).toBe(incoming);
    expect(incoming).toEqual({ jsonrpc: "2.0", id: 1, result: {} });
    expect(before.slice(0, 2)).toEqual(["before:#1", "before-error:boom"]);
    expect(after).toEqual(["#1", ...Array<string>(closes).fill("closed")]);
  });

  it("reports a failed send as an error event and rejects to the caller", async () => {
    const [left] = InMemoryTransport.createLinkedPair();
    const events: TapEvent[] = [];
    const tapped = tapTransport(left, (event) => events.push(event));
    await tapped.close();
    const failure = await tapped
      .send({ jsonrpc: "2.0", method: "notifications/initialized" })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    const afterClose = events.filter((e) => e.type !== "close");
    expect(afterClose.map((e) => e.type)).toEqual(["send", "error"]);
    expect(afterClose[1]).toMatchObject({ error: failure });
  });

  it("serves a real SDK server when tapped on the server side", async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = new McpServer({ name: "in-memory", version: "1.0.0" });
    server.registerResource("note", "memo://note", {}, async (uri) => ({
      contents: [{ uri: uri.href, text: "tapped" }],
    }));
    const events: TapEvent[] = [];
    await server.connect(tapTransport(serverSide, (event) => events.push(event)));
    const client = new Client({ name: "tap-test", version: "1.0.0" });
    await client.connect(clientSide);
    cleanups.push(() => client.close());
    const read = await client.readResource({ uri: "memo://note" });
    expect(read.contents[0]).toMatchObject({ text: "tapped" });
    const kinds = events.map((e) =>
      e.type === "send" || e.type === "message" ? `${e.type}:${label(e.message)}` : e.type,
    );
    expect(kinds).toEqual([
      "start",
      "message:initialize#0",
      "send:#0",
      "message:notifications/initialized",
      "message:resources/read#1",
      "send:#1",
    ]);
  });
});

describe("tapTransport over Streamable HTTP", () => {
  it("passes sessionId and setProtocolVersion through", async () => {
    const server = new McpServer({ name: "http", version: "1.0.0" });
    const serverTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => "session-1",
    });
    await server.connect(serverTransport);
    const http: HttpServer = createServer(
      (req, res) => void serverTransport.handleRequest(req, res),
    );
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => http.close(resolve)));
    cleanups.push(() => server.close());
    const { port } = http.address() as AddressInfo;

    const inner = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`));
    const tapped = tapTransport(inner, () => {});
    expect(typeof tapped.setProtocolVersion).toBe("function");
    const client = new Client({ name: "tap-test", version: "1.0.0" });
    cleanups.push(() => client.close());
    await client.connect(tapped);

    expect(inner.sessionId).toBe("session-1");
    expect(tapped.sessionId).toBe("session-1");
    expect(inner.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
