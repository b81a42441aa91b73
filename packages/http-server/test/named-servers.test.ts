// Named servers: a route per server (both eras, HTTP+SSE), GET /servers, /health, the
// aggregate at /mcp, and removing a server while the others keep serving. Real parts:
// the echo fixture as child processes, SDK clients of both lines.
import { ChildProcessTransport } from "@mcp-proxy/core";
import { echoServerCommand } from "@mcp-proxy/test-utils";
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHTTPTransport,
} from "@modelcontextprotocol/client";
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { type NamedServerOptions, startHTTPServer } from "../src/index.js";
import { connectSse, connectStreamable, onCleanup, textOf } from "./helpers.js";

const echo = (name: string): NamedServerOptions => ({
  createUpstream: () => new ChildProcessTransport(echoServerCommand(["--name", name])),
});
const broken: NamedServerOptions = {
  createUpstream: () =>
    new ChildProcessTransport({ command: "/nonexistent/mcp-server-that-is-not-there", args: [] }),
  health: () => ({ ok: false, detail: "command not found" }),
};

async function start(extra: Record<string, NamedServerOptions> = {}) {
  const handle = await startHTTPServer({
    port: 0,
    servers: { alpha: echo("alpha"), beta: echo("beta"), broken, ...extra },
    closeGracePeriod: 3000,
  });
  onCleanup(() => handle.close());
  return handle;
}

async function connectModern(url: string): Promise<ModernClient> {
  const client = new ModernClient(
    { name: "v2", version: "1.0.0" },
    { capabilities: {}, versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  await client.connect(new ModernHTTPTransport(new URL(url)));
  onCleanup(() => client.close());
  return client;
}

describe("named servers", () => {
  it("serves each server on its own routes, in both eras and over HTTP+SSE", async () => {
    const handle = await start();
    const a = await connectStreamable(`${handle.url}/servers/alpha/mcp`);
    expect(a.getServerVersion()?.name).toBe("alpha");
    expect(textOf(await a.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe("hi");
    const b = await connectSse(`${handle.url}/servers/beta/sse`);
    expect(b.getServerVersion()?.name).toBe("beta");
    expect(textOf(await b.callTool({ name: "add", arguments: { a: 2, b: 3 } }))).toBe("5");
    const modern = await connectModern(`${handle.url}/servers/alpha/mcp`);
    const result = await modern.callTool({ name: "echo", arguments: { text: "modern" } });
    expect((result.content as Array<{ text: string }>)[0]?.text).toBe("modern");
    expect((await fetch(`${handle.url}/servers/nope/mcp`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${handle.url}/servers/alpha/other`)).status).toBe(404);
  });

  it("lists the servers and reports health per server", async () => {
    const handle = await start();
    const list = (await (await fetch(`${handle.url}/servers`)).json()) as {
      servers: Array<{ name: string; url: string; status: string }>;
    };
    expect(list.servers.map((s) => [s.name, s.status])).toEqual([
      ["alpha", "healthy"],
      ["beta", "healthy"],
      ["broken", "unhealthy"],
    ]);
    expect(list.servers[0]?.url).toBe(`${handle.url}/servers/alpha/mcp`);
    const health = await fetch(`${handle.url}/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { ok: boolean; detail: { failing: string[] } };
    expect(body.detail.failing).toEqual(["broken"]);
  });

  it("a server whose command does not exist fails alone", async () => {
    const handle = await start();
    await expect(connectStreamable(`${handle.url}/servers/broken/mcp`)).rejects.toThrow();
    const a = await connectStreamable(`${handle.url}/servers/alpha/mcp`);
    expect(textOf(await a.callTool({ name: "echo", arguments: { text: "ok" } }))).toBe("ok");
  });

  it("aggregates every server at /mcp, prefixed, with calls and server requests routed", async () => {
    const handle = await start();
    const client = await connectStreamable(`${handle.url}/mcp`, {
      capabilities: { sampling: {} },
    });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      model: "m",
      role: "assistant",
      content: { type: "text", text: "from the client" },
    }));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("alpha_echo");
    expect(names).toContain("beta_add");
    expect(names.some((n) => n.startsWith("broken_"))).toBe(false);
    expect(client.getServerCapabilities()?.tools).toBeDefined();
    expect(textOf(await client.callTool({ name: "alpha_echo", arguments: { text: "a" } }))).toBe(
      "a",
    );
    expect(textOf(await client.callTool({ name: "beta_add", arguments: { a: 1, b: 1 } }))).toBe(
      "2",
    );
    expect(textOf(await client.callTool({ name: "beta_sample", arguments: { prompt: "p" } }))).toBe(
      "sampled: from the client",
    );
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain("alpha_greet");
    const unknown = await client
      .callTool({ name: "gamma_echo", arguments: {} })
      .catch((e: Error) => e);
    expect(String(unknown)).toMatch(/Unknown tool/);
  });

  it("aggregates resources: a shared URI renamed <server>+<uri>, templates routed by prefix", async () => {
    const handle = await start();
    const agg = await connectStreamable(`${handle.url}/mcp`);
    const uris = (await agg.listResources()).resources.map((r) => r.uri);
    // Both echo servers list fixture://greeting: the first keeps it, the later is renamed.
    expect(uris).toEqual(["fixture://greeting", "beta+fixture://greeting"]);
    for (const uri of uris) {
      const read = await agg.readResource({ uri });
      expect((read.contents[0] as { text: string }).text).toBe("Hello, world!");
    }
    const templates = (await agg.listResourceTemplates()).resourceTemplates;
    expect(templates.map((t) => [t.name, t.uriTemplate])).toEqual([
      ["alpha_item", "fixture://items/{id}"],
      ["beta_item", "fixture://items/{id}"],
    ]);
    // Never listed: routed to a server whose template's fixed prefix it starts with.
    const item = await agg.readResource({ uri: "fixture://items/42" });
    expect((item.contents[0] as { text: string }).text).toBe("item 42");
    const missing = await agg.readResource({ uri: "other://nothing" }).catch((e: Error) => e);
    expect(String(missing)).toMatch(/Resource not found: other:\/\/nothing/);
  });

  it("aggregates for HTTP+SSE and 2026-07-28 clients", async () => {
    const handle = await start();
    const sse = await connectSse(`${handle.url}/sse`);
    expect((await sse.listTools()).tools.map((t) => t.name)).toContain("alpha_echo");
    const modern = await connectModern(`${handle.url}/mcp`);
    const tools = await modern.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("beta_echo");
    const result = await modern.callTool({ name: "beta_echo", arguments: { text: "m" } });
    expect((result.content as Array<{ text: string }>)[0]?.text).toBe("m");
  });

  it("removing a server drains it while the others keep their sessions", async () => {
    const handle = await start();
    const a = await connectStreamable(`${handle.url}/servers/alpha/mcp`);
    const b = await connectStreamable(`${handle.url}/servers/beta/mcp`);
    const agg = await connectStreamable(`${handle.url}/mcp`);
    expect((await agg.listTools()).tools.map((t) => t.name)).toContain("alpha_echo");
    // A call in flight on the removed server finishes.
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const slow = a.callTool({ name: "slow", arguments: { ms: 300, steps: 3 } }, undefined, {
      onprogress: () => started(),
    });
    await running;
    const removed = handle.servers.remove("alpha");
    expect(textOf(await slow)).toBe("done after 300ms");
    await removed;
    expect(handle.servers.names()).toEqual(["beta", "broken"]);
    await expect(a.callTool({ name: "echo", arguments: { text: "x" } })).rejects.toThrow();
    expect(textOf(await b.callTool({ name: "echo", arguments: { text: "y" } }))).toBe("y");
    const after = (await agg.listTools()).tools.map((t) => t.name);
    expect(after).not.toContain("alpha_echo");
    expect(after).toContain("beta_echo");
    await handle.servers.add("gamma", echo("gamma"));
    const g = await connectStreamable(`${handle.url}/servers/gamma/mcp`);
    expect(g.getServerVersion()?.name).toBe("gamma");
  });

  it("removing a server drains its aggregate calls and refuses new ones", async () => {
    const handle = await start();
    const agg = await connectStreamable(`${handle.url}/mcp`);
    expect((await agg.listTools()).tools.map((t) => t.name)).toContain("alpha_slow");
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const slow = agg.callTool({ name: "alpha_slow", arguments: { ms: 300, steps: 3 } }, undefined, {
      onprogress: () => started(),
    });
    await running;
    const removed = handle.servers.remove("alpha");
    const refused = await agg
      .callTool({ name: "alpha_echo", arguments: { text: "x" } })
      .catch((e: Error) => e);
    expect(String(refused)).toMatch(/server "alpha" is not available/);
    expect(textOf(await slow)).toBe("done after 300ms");
    await removed;
    const after = (await agg.listTools()).tools.map((t) => t.name);
    expect(after).not.toContain("alpha_echo");
    expect(textOf(await agg.callTool({ name: "beta_echo", arguments: { text: "y" } }))).toBe("y");
  });

  it("serves a default upstream at /mcp beside named servers", async () => {
    const handle = await startHTTPServer({
      port: 0,
      createUpstream: () => new ChildProcessTransport(echoServerCommand(["--name", "main"])),
      servers: { alpha: echo("alpha") },
    });
    onCleanup(() => handle.close());
    const main = await connectStreamable(`${handle.url}/mcp`);
    expect(main.getServerVersion()?.name).toBe("main");
    const a = await connectStreamable(`${handle.url}/servers/alpha/mcp`);
    expect(a.getServerVersion()?.name).toBe("alpha");
  });

  it("refuses bad names", async () => {
    await expect(startHTTPServer({ port: 0, servers: { "a/b": echo("x") } })).rejects.toThrow(
      /server name/,
    );
  });
});
