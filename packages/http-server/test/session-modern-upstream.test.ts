// 2025-era sessions (Streamable HTTP and HTTP+SSE) in front of a 2026-07-28
// stdio server: with upstreamProtocol "modern" (or "auto" once the probe finds
// one) each session's upstream is wrapped in core's LegacyClientAdapter.
import { ChildProcessTransport } from "@mcp-proxy/core";
import { ECHO_SERVER, fixtureCommand, fixturePath, waitFor } from "@mcp-proxy/test-utils";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CreateMessageRequestSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import type { SessionInfo, UpstreamContext } from "../src/index.js";
import { connectSse, connectStreamable, startEcho } from "./helpers.js";

type Msg = { method?: string; id?: unknown; params?: Record<string, unknown> };

/** A createUpstream that spawns `script` and records, per child, what the proxy sent it. */
function recordingUpstream(script: string, args: string[] = []) {
  const children: Msg[][] = [];
  const create = (_context: UpstreamContext): Transport => {
    const child = new ChildProcessTransport({
      ...fixtureCommand(script, args),
      killGracePeriodMs: 500,
    });
    const sent: Msg[] = [];
    children.push(sent);
    const send = child.send.bind(child);
    child.send = (m, o) => {
      sent.push(m as Msg);
      return send(m, o);
    };
    return child;
  };
  return { create, children };
}

const MODERN = fixturePath("modern-server.mjs");
const CAPABILITIES = { sampling: {} };

const textOf = (result: unknown) =>
  ((result as { content: Array<{ text: string }> }).content[0] as { text: string }).text;

/** initialize, a tools/call, a sampling round and a listen-driven list_changed, on one client. */
async function exercise(client: Client, sent: Msg[]) {
  expect(client.getServerVersion()).toEqual({ name: "modern-fixture", version: "1.0.0" });
  expect(client.getInstructions()).toBe("Modern fixture.");
  const echoed = await client.callTool({ name: "echo", arguments: { text: "hello" } });
  expect(textOf(echoed)).toBe("hello");
  expect(echoed).not.toHaveProperty("resultType");
  const call = sent.find((m) => m.method === "tools/call");
  expect(call?.params?._meta).toMatchObject({
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "test", version: "1.0.0" },
    "io.modelcontextprotocol/clientCapabilities": CAPABILITIES,
  });

  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    role: "assistant",
    content: { type: "text", text: "forty-two" },
    model: "m",
  }));
  const sampled = await client.callTool({ name: "sample", arguments: { prompt: "meaning?" } });
  expect(textOf(sampled)).toMatch(/^sampled forty-two \(state pid=\d+;sample=\w+\)$/);
  const retry = sent.filter((m) => m.method === "tools/call" && m.params?.name === "sample")[1];
  expect(textOf(sampled)).toBe(`sampled forty-two (state ${String(retry?.params?.requestState)})`);

  const changes: unknown[] = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    changes.push(1);
  });
  await waitFor(() => sent.some((m) => m.method === "subscriptions/listen"));
  await client.callTool({ name: "poke", arguments: {} });
  await waitFor(() => changes.length === 1);
  await client.ping();
  expect(sent.some((m) => m.method === "initialize" || m.method === "ping")).toBe(false);
}

describe("2025-era sessions in front of a modern upstream", () => {
  it("modern: serves a Streamable HTTP session", async () => {
    const up = recordingUpstream(MODERN);
    const connected: SessionInfo[] = [];
    const { url } = await startEcho({
      createUpstream: up.create,
      upstreamProtocol: "modern",
      onConnect: (info) => {
        connected.push(info);
      },
    });
    const client = await connectStreamable(`${url}/mcp`, { capabilities: CAPABILITIES });
    await exercise(client, up.children[0] ?? []);
    // onConnect reports the transport the user created, not the adapter around it.
    expect(connected[0]?.upstream).toBeInstanceOf(ChildProcessTransport);
  });

  it("modern: serves an HTTP+SSE session, with resource subscriptions over listen", async () => {
    const up = recordingUpstream(MODERN, ["--resources"]);
    const { url } = await startEcho({ createUpstream: up.create, upstreamProtocol: "modern" });
    const client = await connectSse(`${url}/sse`, { capabilities: CAPABILITIES });
    const sent = up.children[0] ?? [];
    await exercise(client, sent);
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await client.subscribeResource({ uri: "modern://note" });
    await waitFor(() =>
      sent.some(
        (m) =>
          m.method === "subscriptions/listen" &&
          JSON.stringify(m.params?.notifications).includes("modern://note"),
      ),
    );
    // touch is answered after its notification is written, and both share one stdio pipe.
    await waitFor(async () => {
      await client.callTool({ name: "touch", arguments: { uri: "modern://note" } });
      return updates.length > 0;
    });
    expect(updates[0]).toBe("modern://note");
  });

  it("modern: a 2025-era upstream fails the session's initialize", async () => {
    const up = recordingUpstream(ECHO_SERVER);
    const { url } = await startEcho({ createUpstream: up.create, upstreamProtocol: "modern" });
    await expect(connectStreamable(`${url}/mcp`)).rejects.toThrow(/does not speak MCP 2026-07-28/);
  });

  it("auto: probes once and translates for every later session", async () => {
    const up = recordingUpstream(MODERN);
    const { url } = await startEcho({ createUpstream: up.create, upstreamProtocol: "auto" });
    const first = await connectStreamable(`${url}/mcp`, { capabilities: CAPABILITIES });
    await exercise(first, up.children[0] ?? []);
    const second = await connectSse(`${url}/sse`, { capabilities: CAPABILITIES });
    await exercise(second, up.children[1] ?? []);
  });

  it("auto: relays sessions unchanged to a 2025-era upstream after one probe", async () => {
    const up = recordingUpstream(ECHO_SERVER);
    const { url } = await startEcho({ createUpstream: up.create, upstreamProtocol: "auto" });
    const first = await connectStreamable(`${url}/mcp`);
    expect(
      JSON.stringify(await first.callTool({ name: "echo", arguments: { text: "a" } })),
    ).toContain("a");
    const second = await connectSse(`${url}/sse`);
    expect(
      JSON.stringify(await second.callTool({ name: "echo", arguments: { text: "b" } })),
    ).toContain("b");
    expect(up.children[0]?.map((m) => m.method).slice(0, 2)).toEqual([
      "server/discover",
      "initialize",
    ]);
    // The era is known after the first session: no second probe.
    expect(up.children[1]?.[0]?.method).toBe("initialize");
  });
});

describe("stateless mode in front of a modern upstream", () => {
  it("modern: serves stateless clients from one adapted upstream", async () => {
    const up = recordingUpstream(MODERN);
    const { url } = await startEcho({
      createUpstream: up.create,
      upstreamProtocol: "modern",
      stateless: true,
    });
    const client = await connectStreamable(`${url}/mcp`, { capabilities: CAPABILITIES });
    expect(client.getServerVersion()).toEqual({ name: "modern-fixture", version: "1.0.0" });
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "x" } }))).toBe("x");
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      content: { type: "text", text: "stateless" },
      model: "m",
    }));
    const sampled = await client.callTool({ name: "sample", arguments: { prompt: "p" } });
    expect(textOf(sampled)).toMatch(/^sampled stateless \(state pid=\d+;sample=\w+\)$/);
    expect(up.children).toHaveLength(1);
    expect(up.children[0]?.some((m) => m.method === "initialize")).toBe(false);
  });
});
