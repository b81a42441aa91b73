// getUpstreamBridge and acquireListenSubscriptions against real SDK objects of
// both lines: an in-process Server that honours resources/subscribe (and
// refuses one URI), reached by a Client of the same line over that line's
// in-memory pair; and, for the 2026-07-28 path, the v2 Client pinned to the
// modern stdio fixture, whose subscriptions live in a listen stream's filter.
import { fixturePath, waitFor } from "@mcp-proxy/test-utils";
import {
  ProtocolError,
  ProtocolErrorCode,
  Client as V2Client,
  InMemoryTransport as V2Memory,
} from "@modelcontextprotocol/client";
import { StdioClientTransport as V2Stdio } from "@modelcontextprotocol/client/stdio";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport as V1Memory } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server as V1Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ErrorCode,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { Server as V2Server } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it } from "vitest";
import {
  acquireListenSubscriptions,
  getUpstreamBridge,
  type UpstreamNotificationSink,
} from "../src/index.js";

const REFUSED = "test://refused";
const CAPABILITIES = {
  logging: {},
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  tools: { listChanged: true },
};

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

interface Upstream {
  client: V1Client | V2Client;
  /** `subscribe <uri>` / `unsubscribe <uri>`, in the order the server got them. */
  calls: string[];
  server: V1Server | V2Server;
}

/** An in-process Server of `line` that records (un)subscribes and refuses REFUSED. */
async function upstream(line: "v1" | "v2"): Promise<Upstream> {
  const calls: string[] = [];
  const info = { name: `subscribable-${line}`, version: "1.0.0" };
  const onSubscribe = (uri: string, refuse: () => never) => {
    calls.push(`subscribe ${uri}`);
    if (uri === REFUSED) refuse();
    return {};
  };
  const onUnsubscribe = (uri: string) => {
    calls.push(`unsubscribe ${uri}`);
    return {};
  };
  if (line === "v1") {
    const server = new V1Server(info, { capabilities: CAPABILITIES });
    const refuse = () => {
      throw new McpError(ErrorCode.InvalidParams, `Not subscribable: ${REFUSED}`);
    };
    server.setRequestHandler(SubscribeRequestSchema, async (r) =>
      onSubscribe(r.params.uri, refuse),
    );
    server.setRequestHandler(UnsubscribeRequestSchema, async (r) => onUnsubscribe(r.params.uri));
    const client = new V1Client({ name: "bridge-test", version: "1" });
    const [c, s] = V1Memory.createLinkedPair();
    await server.connect(s);
    await client.connect(c);
    cleanups.push(
      () => client.close(),
      () => server.close(),
    );
    return { client, calls, server };
  }
  const server = new V2Server(info, { capabilities: CAPABILITIES });
  const refuse = () => {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Not subscribable: ${REFUSED}`);
  };
  server.setRequestHandler("resources/subscribe", async (r) => onSubscribe(r.params.uri, refuse));
  server.setRequestHandler("resources/unsubscribe", async (r) => onUnsubscribe(r.params.uri));
  const client = new V2Client({ name: "bridge-test", version: "1" });
  const [c, s] = V2Memory.createLinkedPair();
  await server.connect(s);
  await client.connect(c);
  cleanups.push(
    () => client.close(),
    () => server.close(),
  );
  return { client, calls, server };
}

/** A sink that writes down what it is offered. */
function recordingSink(): { sink: UpstreamNotificationSink; heard: string[] } {
  const heard: string[] = [];
  return {
    heard,
    sink: {
      loggingMessage: (p) => heard.push(`log ${String(p.data)}`),
      promptsListChanged: () => heard.push("prompts"),
      resourcesListChanged: () => heard.push("resources"),
      resourceUpdated: (p) => heard.push(`updated ${p.uri}`),
      toolsListChanged: () => heard.push("tools"),
    },
  };
}

describe.each(["v1", "v2"] as const)("getUpstreamBridge with a %s Client", (line) => {
  it("fans every change notification out to each sink", async () => {
    const { client, server } = await upstream(line);
    const bridge = getUpstreamBridge({ client });
    cleanups.push(() => bridge.close());
    const a = recordingSink();
    const b = recordingSink();
    bridge.subscribe(a.sink);
    bridge.subscribe(b.sink);
    // A sink that throws must not keep the others from hearing.
    bridge.subscribe({
      toolsListChanged: () => {
        throw new Error("broken sink");
      },
    });

    await server.sendToolListChanged();
    await server.sendPromptListChanged();
    await server.sendResourceListChanged();
    await server.sendResourceUpdated({ uri: "test://a" });
    await server.sendLoggingMessage({ level: "info", data: "hello" });

    const all = ["tools", "prompts", "resources", "updated test://a", "log hello"];
    await waitFor(() => a.heard.length === all.length && b.heard.length === all.length);
    expect(a.heard).toEqual(all);
    expect(b.heard).toEqual(all);
  });

  it("is one bridge per Client until closed", async () => {
    const { client } = await upstream(line);
    const bridge = getUpstreamBridge({ client });
    expect(getUpstreamBridge({ client, requestTimeout: 5 })).toBe(bridge);
    await bridge.close();
    await bridge.close();
    expect(() => bridge.subscribe({})).toThrow(/closed/);
    const fresh = getUpstreamBridge({ client });
    cleanups.push(() => fresh.close());
    expect(fresh).not.toBe(bridge);
  });

  it("subscribes upstream once per URI and unsubscribes after the last holder", async () => {
    const { client, calls, server } = await upstream(line);
    const bridge = getUpstreamBridge({ client });
    cleanups.push(() => bridge.close());
    const a = recordingSink();
    const b = recordingSink();
    const first = bridge.subscribe(a.sink);
    const second = bridge.subscribe(b.sink);

    await first.addResourceSubscription("test://shared");
    await second.addResourceSubscription("test://shared");
    await first.addResourceSubscription("test://shared"); // already held: nothing upstream
    await second.addResourceSubscription("test://own");
    expect(calls).toEqual(["subscribe test://shared", "subscribe test://own"]);
    expect([first.owns("test://shared"), second.owns("test://shared")]).toEqual([true, true]);
    expect([first.owns("test://own"), second.owns("test://own")]).toEqual([false, true]);

    // Offered to every sink; the lease says whose it is.
    await server.sendResourceUpdated({ uri: "test://own" });
    await waitFor(() => a.heard.length === 1 && b.heard.length === 1);

    await first.removeResourceSubscription("test://shared");
    await first.removeResourceSubscription("test://shared"); // no longer held: nothing
    expect(calls).toHaveLength(2);
    expect(first.owns("test://shared")).toBe(false);

    await second.release();
    expect(calls.slice(2).sort()).toEqual(["unsubscribe test://own", "unsubscribe test://shared"]);
    await second.release(); // idempotent
    expect(calls).toHaveLength(4);
    await expect(second.addResourceSubscription("test://late")).rejects.toThrow(/closed/);
  });

  it("holds nothing for a URI the upstream refused", async () => {
    const { client, calls } = await upstream(line);
    const bridge = getUpstreamBridge({ client });
    cleanups.push(() => bridge.close());
    const lease = bridge.subscribe({});
    await expect(lease.addResourceSubscription(REFUSED)).rejects.toThrow(/Not subscribable/);
    expect(lease.owns(REFUSED)).toBe(false);
    await lease.release();
    expect(calls).toEqual([`subscribe ${REFUSED}`]);
  });
});

describe.each(["v1", "v2"] as const)("acquireListenSubscriptions with a %s Client", (line) => {
  it("takes every URI, or gives back what it took when one is refused", async () => {
    const { client, calls } = await upstream(line);
    cleanups.push(() => getUpstreamBridge({ client }).close());

    await expect(
      acquireListenSubscriptions({ client, uris: ["test://first", REFUSED] }),
    ).rejects.toThrow(/Not subscribable/);
    expect(calls).toEqual([
      "subscribe test://first",
      `subscribe ${REFUSED}`,
      "unsubscribe test://first",
    ]);

    calls.length = 0;
    const release = await acquireListenSubscriptions({
      client,
      uris: ["test://one", "test://two"],
    });
    expect(calls).toEqual(["subscribe test://one", "subscribe test://two"]);
    await release();
    expect(calls.slice(2).sort()).toEqual(["unsubscribe test://one", "unsubscribe test://two"]);
  });
});

describe("getUpstreamBridge with a 2026-07-28 upstream (v2 Client)", () => {
  async function modernClient(): Promise<V2Client> {
    const client = new V2Client(
      { name: "bridge-modern", version: "1" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await client.connect(
      new V2Stdio({
        command: process.execPath,
        args: [fixturePath("modern-server.mjs"), "--resources"],
        stderr: "ignore",
      }),
    );
    cleanups.push(() => client.close());
    return client;
  }

  /** Calls `poke` (tools list_changed on open listens) until the sink has heard one more. */
  async function pokeHeard(client: V2Client, heard: string[]): Promise<void> {
    const before = heard.filter((h) => h === "tools").length;
    await waitFor(async () => {
      await client.callTool({ name: "poke", arguments: {} });
      return heard.filter((h) => h === "tools").length > before;
    });
  }

  it("keeps the subscribed URIs in its listen stream's filter", async () => {
    const client = await modernClient();
    expect(client.getProtocolEra()).toBe("modern");
    const bridge = getUpstreamBridge({ client });
    cleanups.push(() => bridge.close());
    const a = recordingSink();
    const b = recordingSink();
    const first = bridge.subscribe(a.sink);
    const second = bridge.subscribe(b.sink);
    await pokeHeard(client, a.heard); // the first sink opened the stream

    await first.addResourceSubscription("modern://note");
    await second.addResourceSubscription("modern://note");
    await client.callTool({ name: "touch", arguments: { uri: "modern://note" } });
    await waitFor(() => a.heard.includes("updated modern://note"));
    expect(b.heard).toContain("updated modern://note");

    await first.release();
    await client.callTool({ name: "touch", arguments: { uri: "modern://note" } });
    await waitFor(() => b.heard.filter((h) => h === "updated modern://note").length === 2);

    // The last holder gone, the stream is reopened without the URI: a touch
    // then sends nothing, as the poke that follows it on the same pipe shows.
    await second.removeResourceSubscription("modern://note");
    await client.callTool({ name: "touch", arguments: { uri: "modern://note" } });
    await pokeHeard(client, b.heard);
    expect(b.heard.filter((h) => h === "updated modern://note")).toHaveLength(2);
  });

  it("reopens a listen stream the upstream ended", async () => {
    const client = await modernClient();
    const bridge = getUpstreamBridge({ client });
    cleanups.push(() => bridge.close());
    const { sink, heard } = recordingSink();
    const lease = bridge.subscribe(sink);
    await lease.addResourceSubscription("modern://note");
    await pokeHeard(client, heard);

    await client.callTool({ name: "hangup", arguments: {} });
    await pokeHeard(client, heard);
    await client.callTool({ name: "touch", arguments: { uri: "modern://note" } });
    await waitFor(() => heard.includes("updated modern://note"));
  });
});
