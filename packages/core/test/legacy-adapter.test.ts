import { ECHO_SERVER, fixtureCommand, fixturePath, waitFor } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  type JSONRPCMessage,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  ChildProcessTransport,
  LegacyClientAdapter,
  type LegacyClientAdapterOptions,
  META,
} from "../src/index.js";
import { INPUT_KEY_META } from "../src/internal.js";

const MODERN_SERVER = fixturePath("modern-server.mjs");
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

type Msg = Record<string, unknown> & { params?: Record<string, unknown> };

/** A child transport that records what goes up and what comes back. */
function recordedChild(script: string, args: string[] = []) {
  const child = new ChildProcessTransport({
    ...fixtureCommand(script, args),
    killGracePeriodMs: 500,
  });
  const sent: Msg[] = [];
  const received: Msg[] = [];
  const send = child.send.bind(child);
  child.send = (m, o) => {
    sent.push(m as Msg);
    return send(m, o);
  };
  const recording: Transport = {
    start: () => child.start(),
    send: (m, o) => child.send(m, o),
    close: () => child.close(),
  };
  child.onmessage = (m: JSONRPCMessage) => {
    received.push(m as Msg);
    recording.onmessage?.(m);
  };
  child.onclose = () => recording.onclose?.();
  child.onerror = (e) => recording.onerror?.(e);
  return { child, recording, sent, received };
}

async function connect(
  options: LegacyClientAdapterOptions & { script?: string; args?: string[] } = {},
) {
  const { script = MODERN_SERVER, args = [], ...adapterOptions } = options;
  const up = recordedChild(script, args);
  const adapter = new LegacyClientAdapter(up.recording, adapterOptions);
  const client = new Client(
    { name: "legacy-client", version: "2.5.0" },
    { capabilities: { sampling: {}, elicitation: {}, roots: {} } },
  );
  cleanups.push(async () => {
    await client.close();
    await adapter.close();
    await up.child.close();
  });
  await client.connect(adapter);
  return { client, adapter, ...up };
}

const textOf = (result: unknown) =>
  ((result as { content: Array<{ text: string }> }).content[0] as { text: string }).text;

const acked = (received: Msg[]) =>
  received.filter((m) => m.method === "notifications/subscriptions/acknowledged").length;

describe("LegacyClientAdapter in front of a 2026-07-28 stdio server", () => {
  it("answers initialize from server/discover and never sends initialize upstream", async () => {
    const { client, sent, adapter } = await connect();
    expect(adapter.era).toBe("modern");
    expect(client.getServerVersion()).toEqual({ name: "modern-fixture", version: "1.0.0" });
    expect(client.getServerCapabilities()).toEqual({ tools: { listChanged: true } });
    expect(client.getInstructions()).toBe("Modern fixture.");
    expect(sent.some((m) => m.method === "initialize")).toBe(false);
    expect(sent[0]?.method).toBe("server/discover");
  });

  it("sends requests with the modern _meta and strips modern result fields", async () => {
    const { client, sent } = await connect();
    const listed = await client.listTools();
    expect(listed.tools.map((t) => t.name)).toContain("echo");
    expect(listed).not.toHaveProperty("resultType");
    expect(listed).not.toHaveProperty("ttlMs");
    expect(listed).not.toHaveProperty("cacheScope");
    expect(listed._meta).toBeUndefined();
    const result = await client.callTool({ name: "echo", arguments: { text: "hey" } });
    expect(textOf(result)).toBe("hey");
    expect(result).not.toHaveProperty("resultType");
    const call = sent.find((m) => m.method === "tools/call");
    const meta = (call?.params?._meta ?? {}) as Record<string, unknown>;
    expect(meta[META.protocolVersion]).toBe("2026-07-28");
    expect(meta[META.clientInfo]).toEqual({ name: "legacy-client", version: "2.5.0" });
    expect(meta[META.clientCapabilities]).toEqual({ sampling: {}, elicitation: {}, roots: {} });
    expect(meta[META.logLevel]).toBeUndefined();
  });

  it("turns a sampling input_required into a real request and retries with the exact requestState", async () => {
    const { client, sent, received } = await connect();
    const prompts: string[] = [];
    const keys: unknown[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const content = request.params.messages[0]?.content as { text: string };
      prompts.push(content.text);
      // The server's key rides along, for a proxy in front that serves 2026-07-28 clients.
      keys.push(request.params._meta?.[INPUT_KEY_META]);
      return { role: "assistant", content: { type: "text", text: "forty-two" }, model: "m" };
    });
    const result = await client.callTool({ name: "sample", arguments: { prompt: "meaning?" } });
    expect(prompts).toEqual(["meaning?"]);
    expect(keys).toEqual(["llm"]);
    const inputRequired = received.find(
      (m) => (m.result as Record<string, unknown> | undefined)?.resultType === "input_required",
    );
    const state = (inputRequired?.result as { requestState?: string } | undefined)?.requestState;
    expect(textOf(result)).toBe(`sampled forty-two (state ${state})`);
    const calls = sent.filter((m) => m.method === "tools/call");
    expect(calls).toHaveLength(2);
    expect(calls[1]?.params?.requestState).toBe(state);
    expect(calls[1]?.params?.inputResponses).toEqual({
      llm: { role: "assistant", content: { type: "text", text: "forty-two" }, model: "m" },
    });
    expect(calls[1]?.id).not.toBe(calls[0]?.id);
  });

  it("carries an elicitation round and fails the call with the client's error", async () => {
    const { client } = await connect();
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: "accept",
      content: { name: "Ada" },
    }));
    const result = await client.callTool({ name: "ask", arguments: {} });
    expect(textOf(result)).toMatch(/^hello Ada \(state pid=\d+;nonce=/);
    client.setRequestHandler(ElicitRequestSchema, async () => {
      throw new Error("user said no");
    });
    await expect(client.callTool({ name: "ask", arguments: {} })).rejects.toThrow(/user said no/);
  });

  it("answers ping and logging/setLevel locally and puts the level on later requests", async () => {
    const { client, sent } = await connect();
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(n.params.data);
    });
    await client.ping();
    await client.setLoggingLevel("info");
    expect(sent.some((m) => m.method === "ping" || m.method === "logging/setLevel")).toBe(false);
    const result = await client.callTool({ name: "log", arguments: {} });
    expect(textOf(result)).toBe("log done");
    const call = sent.find((m) => m.method === "tools/call");
    expect((call?.params?._meta as Record<string, unknown> | undefined)?.[META.logLevel]).toBe(
      "info",
    );
    await waitFor(() => logs.length === 1);
    expect(logs).toEqual(["logged"]);
  });

  it("delivers list_changed from a subscriptions/listen request, untagged", async () => {
    const { client, sent, received } = await connect();
    const changes: unknown[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, (n) => {
      changes.push(n.params ?? null);
    });
    await waitFor(() => acked(received) === 1);
    const listen = sent.find((m) => m.method === "subscriptions/listen");
    expect(listen?.params?.notifications).toEqual({ toolsListChanged: true });
    await client.callTool({ name: "poke", arguments: {} });
    await waitFor(() => changes.length === 1);
    expect(changes).toEqual([null]);
  });

  it("maps resources/subscribe onto the listen filter and reopens an ended listen", async () => {
    const { client, sent, received } = await connect({ args: ["--resources"] });
    const updates: string[] = [];
    const changes: unknown[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes.push(1);
    });
    await waitFor(() => acked(received) === 1);
    await client.subscribeResource({ uri: "modern://note" });
    await waitFor(() => acked(received) === 2);
    expect(sent.some((m) => m.method === "resources/subscribe")).toBe(false);
    const listens = sent.filter((m) => m.method === "subscriptions/listen");
    expect(listens[1]?.params?.notifications).toEqual({
      toolsListChanged: true,
      resourcesListChanged: true,
      resourceSubscriptions: ["modern://note"],
    });
    // The first listen is retired once the second is acknowledged.
    expect(
      sent.some(
        (m) => m.method === "notifications/cancelled" && m.params?.requestId === listens[0]?.id,
      ),
    ).toBe(true);
    await client.callTool({ name: "touch", arguments: { uri: "modern://note" } });
    await waitFor(() => updates.length === 1);
    expect(updates).toEqual(["modern://note"]);
    // The server ends every listen; the adapter reopens and tells the client to refetch.
    await client.callTool({ name: "hangup", arguments: {} });
    await waitFor(() => acked(received) === 3);
    await waitFor(() => changes.length === 1);
    await client.callTool({ name: "touch", arguments: { uri: "modern://note" } });
    await waitFor(() => updates.length === 2);
    await client.unsubscribeResource({ uri: "modern://note" });
    await waitFor(() => acked(received) === 4);
    await client.callTool({ name: "touch", arguments: { uri: "modern://note" } });
    await client.callTool({ name: "echo", arguments: { text: "barrier" } });
    expect(updates).toHaveLength(2);
  });

  it("cancels the upstream request when the client cancels", async () => {
    const { client, sent } = await connect();
    const abort = new AbortController();
    const call = client.callTool({ name: "stall", arguments: {} }, undefined, {
      signal: abort.signal,
    });
    await waitFor(() => sent.some((m) => m.method === "tools/call"));
    abort.abort("changed my mind");
    await expect(call).rejects.toThrow();
    const upstreamId = sent.find((m) => m.method === "tools/call")?.id;
    await waitFor(() =>
      sent.some(
        (m) => m.method === "notifications/cancelled" && m.params?.requestId === upstreamId,
      ),
    );
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "still" } }))).toBe(
      "still",
    );
  });

  it("fails initialize when a modern upstream is required and the server is 2025-era", async () => {
    const up = recordedChild(ECHO_SERVER);
    const adapter = new LegacyClientAdapter(up.recording, { protocol: "modern" });
    const client = new Client({ name: "c", version: "1" });
    cleanups.push(async () => {
      await client.close();
      await adapter.close();
    });
    await expect(client.connect(adapter)).rejects.toThrow(/does not speak MCP 2026-07-28/);
  });
});

describe("LegacyClientAdapter in auto mode", () => {
  it("translates for a modern upstream", async () => {
    const eras: string[] = [];
    const { client } = await connect({ protocol: "auto", onEra: (era) => eras.push(era) });
    expect(eras).toEqual(["modern"]);
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "a" } }))).toBe("a");
  });

  it("passes everything through to a 2025-era upstream after a failed probe", async () => {
    const eras: string[] = [];
    const { client, sent, adapter } = await connect({
      protocol: "auto",
      onEra: (era) => eras.push(era),
      script: ECHO_SERVER,
    });
    expect(eras).toEqual(["legacy"]);
    expect(adapter.era).toBe("legacy");
    expect(sent.map((m) => m.method).slice(0, 3)).toEqual([
      "server/discover",
      "initialize",
      "notifications/initialized",
    ]);
    const result = await client.callTool({ name: "echo", arguments: { text: "old" } });
    expect(JSON.stringify(result)).toContain("old");
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      content: { type: "text", text: "from the client" },
      model: "m",
    }));
    const sampled = await client.callTool({ name: "sample", arguments: { prompt: "hi" } });
    expect(JSON.stringify(sampled)).toContain("from the client");
  });
});

describe("LegacyClientAdapter probe limits", () => {
  it("reports an unanswered probe as such and keeps its late answer from the client", async () => {
    // A fake upstream that answers server/discover only after the probe gave up.
    const seen: JSONRPCMessage[] = [];
    let late: (() => void) | undefined;
    const upstream: Transport = {
      start: async () => {},
      close: async () => {
        upstream.onclose?.();
      },
      send: async (message) => {
        const m = message as { id?: string | number; method?: string };
        if (m.method === "server/discover") {
          late = () =>
            upstream.onmessage?.({
              jsonrpc: "2.0",
              id: m.id as string,
              result: { supportedVersions: ["2026-07-28"], capabilities: {} },
            });
        } else if (m.method === "initialize") {
          upstream.onmessage?.({
            jsonrpc: "2.0",
            id: m.id as string | number,
            result: {
              protocolVersion: "2025-11-25",
              capabilities: {},
              serverInfo: { name: "slow", version: "1" },
            },
          });
        }
      },
    };
    const eras: Array<[string, boolean]> = [];
    const adapter = new LegacyClientAdapter(upstream, {
      protocol: "auto",
      probeTimeoutMs: 50,
      onEra: (era, info) => eras.push([era, info.answered]),
    });
    adapter.onmessage = (m) => seen.push(m);
    await adapter.start();
    cleanups.push(() => adapter.close());
    await adapter.send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "c", version: "1" },
      },
    });
    expect(eras).toEqual([["legacy", false]]);
    late?.();
    expect(seen.map((m) => (m as { id?: unknown }).id)).toEqual([1]);
  });
});
