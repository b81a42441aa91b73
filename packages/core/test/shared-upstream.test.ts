import { fixtureCommand, fixturePath, waitFor } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CreateMessageRequestSchema,
  type JSONRPCMessage,
  LATEST_PROTOCOL_VERSION,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { ChildProcessTransport, SharedUpstream } from "../src/index.js";
import { echoChild, textOf } from "./helpers.js";

let shared: SharedUpstream | undefined;
let children: ChildProcessTransport[] = [];
let clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await shared?.close();
  await Promise.all(children.map((c) => c.close()));
  shared = undefined;
  children = [];
  clients = [];
});

function sharedEcho(): SharedUpstream {
  shared = new SharedUpstream({
    createTransport: () => {
      const child = echoChild();
      children.push(child);
      return child;
    },
  });
  return shared;
}

/** Connects an SDK client over a virtual transport; records what the transport delivered. */
async function connectClient(
  s: SharedUpstream,
  capabilities: ConstructorParameters<typeof Client>[1] = {},
  name = "shared-test",
): Promise<{ client: Client; transport: Transport; received: JSONRPCMessage[] }> {
  const transport = s.connect();
  const client = new Client({ name, version: "1.0.0" }, capabilities);
  clients.push(client);
  await client.connect(transport);
  const received: JSONRPCMessage[] = [];
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    received.push(message);
    deliver?.(message, extra);
  };
  return { client, transport, received };
}

async function pidOf(client: Client): Promise<number> {
  const result = await client.callTool({ name: "pid", arguments: {} });
  return (JSON.parse(textOf(result)) as { pid: number }).pid;
}

/** A SharedUpstream over echo children whose every upstream-bound message is recorded in `sent`. */
function recordingShared(sent: JSONRPCMessage[]): SharedUpstream {
  return new SharedUpstream({
    createTransport: () => {
      const child = echoChild();
      children.push(child);
      const send = child.send.bind(child);
      child.send = (message, options) => {
        sent.push(message);
        return send(message, options);
      };
      return child;
    },
  });
}

describe("SharedUpstream", () => {
  it("runs two clients on one child and answers the second initialize from the cache", async () => {
    const s = sharedEcho();
    const a = await connectClient(s);
    const b = await connectClient(s);
    expect(await pidOf(a.client)).toBe(await pidOf(b.client));
    expect(children).toHaveLength(1);
    expect(b.client.getServerVersion()).toEqual(a.client.getServerVersion());
    expect(b.client.getServerCapabilities()).toEqual(a.client.getServerCapabilities());
    expect(s.sessionCount).toBe(2);
  });

  it("keeps concurrent calls with colliding ids apart", async () => {
    const s = sharedEcho();
    const a = await connectClient(s);
    const b = await connectClient(s);
    // Both SDK clients number their requests from the same start, so the ids collide.
    const calls = [];
    for (let i = 0; i < 20; i++) {
      calls.push(
        a.client
          .callTool({ name: "echo", arguments: { text: `a${i}` } })
          .then((r) => expect(textOf(r)).toBe(`a${i}`)),
        b.client
          .callTool({ name: "echo", arguments: { text: `b${i}` } })
          .then((r) => expect(textOf(r)).toBe(`b${i}`)),
      );
    }
    await Promise.all(calls);
  });

  it("routes progress to the client whose call it belongs to", async () => {
    const s = sharedEcho();
    const a = await connectClient(s);
    const b = await connectClient(s);
    await Promise.all([
      a.client.callTool({ name: "slow", arguments: { ms: 30, steps: 3 } }, undefined, {
        onprogress: () => {},
      }),
      b.client.callTool({ name: "slow", arguments: { ms: 30, steps: 2 } }, undefined, {
        onprogress: () => {},
      }),
    ]);
    // Read the transports, not onprogress: the SDK Client drops progress that arrives in the same
    // tick as the result. Each client sees its own token (its request id) and only its own steps.
    const progressOf = (received: JSONRPCMessage[]) =>
      received
        .filter((m) => "method" in m && m.method === "notifications/progress")
        .map(
          (m) => (m as unknown as { params: { progress: number; progressToken: unknown } }).params,
        );
    expect(progressOf(a.received).map((p) => p.progress)).toEqual([1, 2, 3]);
    expect(progressOf(b.received).map((p) => p.progress)).toEqual([1, 2]);
    const tokens = new Set(progressOf(a.received).map((p) => p.progressToken));
    expect(tokens.size).toBe(1);
    expect(typeof [...tokens][0]).toBe("number");
  });

  it("sends sampling to the client whose call caused it", async () => {
    const s = sharedEcho();
    const a = await connectClient(s, { capabilities: { sampling: {} } });
    const b = await connectClient(s, { capabilities: { sampling: {} } });
    let askedA = 0;
    a.client.setRequestHandler(CreateMessageRequestSchema, async () => {
      askedA++;
      return { role: "assistant", content: { type: "text", text: "from a" }, model: "m" };
    });
    b.client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      content: { type: "text", text: "from b" },
      model: "m",
    }));
    const result = await b.client.callTool({ name: "sample", arguments: { prompt: "hi" } });
    expect(textOf(result)).toBe("sampled: from b");
    expect(askedA).toBe(0);
  });

  it("sends resources/updated only to subscribers, list_changed to all, and counts subscriptions", async () => {
    shared = new SharedUpstream({
      createTransport: () => {
        const child = new ChildProcessTransport({
          ...fixtureCommand(fixturePath("subscribable-server.mjs")),
          killGracePeriodMs: 500,
        });
        children.push(child);
        return child;
      },
    });
    const a = await connectClient(shared);
    const b = await connectClient(shared);
    const updated = { a: 0, b: 0 };
    const changed = { a: 0, b: 0 };
    a.client.setNotificationHandler(ResourceUpdatedNotificationSchema, () => void updated.a++);
    b.client.setNotificationHandler(ResourceUpdatedNotificationSchema, () => void updated.b++);
    a.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed.a++);
    b.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed.b++);
    const uri = "fixture://greeting";
    const touch = async (client: Client) =>
      JSON.parse(textOf(await client.callTool({ name: "touch", arguments: { uri } }))) as string[];

    await a.client.subscribeResource({ uri });
    expect(await touch(b.client)).toEqual([uri]);
    await waitFor(() => updated.a === 1 && changed.a === 1 && changed.b === 1, 5000);
    await b.client.ping(); // anything for b was delivered before this answer
    expect(updated.b).toBe(0);

    // Reference-counted upstream: b's subscribe joins, a's unsubscribe keeps it for b.
    await b.client.subscribeResource({ uri });
    await a.client.unsubscribeResource({ uri });
    expect(await touch(a.client)).toEqual([uri]);
    await waitFor(() => updated.b === 1 && changed.a === 2, 5000);
    await a.client.ping();
    expect(updated.a).toBe(1);

    // The last subscriber closing unsubscribes upstream.
    await b.client.close();
    expect(await touch(a.client)).toEqual([]);
  });

  it("answers logging/setLevel locally and delivers logs only to the caller in flight", async () => {
    const s = sharedEcho();
    const a = await connectClient(s);
    const b = await connectClient(s);
    const logs = { a: 0, b: 0 };
    a.client.setNotificationHandler(LoggingMessageNotificationSchema, () => void logs.a++);
    b.client.setNotificationHandler(LoggingMessageNotificationSchema, () => void logs.b++);
    await a.client.setLoggingLevel("debug");
    await b.client.setLoggingLevel("error");
    await a.client.callTool({ name: "notify", arguments: {} });
    await waitFor(() => logs.a === 1, 5000);
    // b is not in flight, and its level (error) would not admit an info message anyway.
    await b.client.callTool({ name: "notify", arguments: {} });
    await b.client.ping();
    expect(logs.b).toBe(0);
  });

  it("lets one client close without disturbing the other", async () => {
    const s = sharedEcho();
    const a = await connectClient(s);
    const b = await connectClient(s);
    const pid = await pidOf(a.client);
    const slow = a.client.callTool({ name: "slow", arguments: { ms: 2000, steps: 2 } });
    slow.catch(() => {});
    await a.client.close();
    await expect(slow).rejects.toThrow();
    expect(await pidOf(b.client)).toBe(pid);
    expect(s.sessionCount).toBe(1);
    // A new client still joins the same child.
    const c = await connectClient(s);
    expect(await pidOf(c.client)).toBe(pid);
  });

  it("errors every pending request when the upstream dies, and the next connect starts afresh", async () => {
    const s = sharedEcho();
    const a = await connectClient(s);
    const b = await connectClient(s);
    const firstPid = await pidOf(a.client);
    let closedA = false;
    let closedB = false;
    a.client.onclose = () => {
      closedA = true;
    };
    b.client.onclose = () => {
      closedB = true;
    };
    const pendingA = a.client.callTool({ name: "slow", arguments: { ms: 5000, steps: 1 } });
    const pendingB = b.client.callTool({ name: "slow", arguments: { ms: 5000, steps: 1 } });
    pendingA.catch(() => {});
    pendingB.catch(() => {});
    await b.client.callTool({ name: "exit", arguments: { code: 0 } }).catch(() => {});
    await expect(pendingA).rejects.toThrow(/closed/i);
    await expect(pendingB).rejects.toThrow(/closed/i);
    await waitFor(() => closedA && closedB, 5000);
    const c = await connectClient(s);
    const secondPid = await pidOf(c.client);
    expect(secondPid).not.toBe(firstPid);
    expect(children).toHaveLength(2);
  });

  it("close() ends every session and the child, and is idempotent", async () => {
    const s = sharedEcho();
    const a = await connectClient(s);
    let closed = false;
    a.client.onclose = () => {
      closed = true;
    };
    await pidOf(a.client);
    await Promise.all([s.close(), s.close()]);
    expect(closed).toBe(true);
    await children[0]?.exited;
    expect(() => s.connect()).toThrow(/closed/);
  });

  it("never agrees to a protocol version the upstream did not, and sends initialized once", async () => {
    const sent: JSONRPCMessage[] = [];
    shared = recordingShared(sent);
    const a = await connectClient(shared);
    expect(a.client.getServerVersion()?.name).toBe("echo-fixture");
    const agreed = await rawInitialize(shared, "2024-11-05");
    expect(agreed).toBe(LATEST_PROTOCOL_VERSION);
    await connectClient(shared);
    const methods = sent.map((m) => ("method" in m ? m.method : "answer"));
    expect(methods.filter((m) => m === "initialize")).toHaveLength(1);
    expect(methods.filter((m) => m === "notifications/initialized")).toHaveLength(1);
  });

  it("remaps notifications/cancelled to the upstream id", async () => {
    const sent: JSONRPCMessage[] = [];
    shared = recordingShared(sent);
    const a = await connectClient(shared);
    const abort = new AbortController();
    const call = a.client.callTool({ name: "slow", arguments: { ms: 5000, steps: 1 } }, undefined, {
      signal: abort.signal,
    });
    await waitFor(() => sent.some((m) => "method" in m && m.method === "tools/call"), 5000);
    abort.abort("enough");
    await expect(call).rejects.toThrow();
    await waitFor(
      () => sent.some((m) => "method" in m && m.method === "notifications/cancelled"),
      5000,
    );
    const upstreamCall = sent.find((m) => "method" in m && m.method === "tools/call") as {
      id: string;
    };
    const cancel = sent.find(
      (m) => "method" in m && m.method === "notifications/cancelled",
    ) as unknown as {
      params: { requestId: unknown };
    };
    expect(cancel.params.requestId).toBe(upstreamCall.id);
    // The session goes on.
    expect(textOf(await a.client.callTool({ name: "echo", arguments: { text: "on" } }))).toBe("on");
  });

  it("holds one session's interactive call while another's runs, then routes its server request to it", async () => {
    const s = sharedEcho();
    const a = await connectClient(s, { capabilities: { sampling: {} } });
    const b = await connectClient(s, { capabilities: { sampling: {} } });
    let asked = 0;
    const answer = async () => {
      asked++;
      return {
        role: "assistant" as const,
        content: { type: "text" as const, text: "x" },
        model: "m",
      };
    };
    a.client.setRequestHandler(CreateMessageRequestSchema, answer);
    b.client.setRequestHandler(CreateMessageRequestSchema, answer);
    let progressed = false;
    const busy = b.client.callTool(
      { name: "slow", arguments: { ms: 2000, steps: 10 } },
      undefined,
      {
        onprogress: () => {
          progressed = true;
        },
      },
    );
    await waitFor(() => progressed, 5000); // b's call is in flight upstream
    const order: string[] = [];
    const sampled = a.client.callTool({ name: "sample", arguments: { prompt: "hi" } }).then(
      (r) => {
        order.push("a");
        return JSON.stringify(r);
      },
      (e: unknown) => String(e),
    );
    await busy.then(() => order.push("b"));
    // a's call waited for b's to end (it could otherwise have been asked about b's call).
    expect(await sampled).toMatch(/sampled: x/);
    expect(order).toEqual(["b", "a"]);
    expect(asked).toBe(1);
  });

  it("gives sessions that declared different capabilities upstreams initialised with exactly theirs", async () => {
    const s = sharedEcho();
    const plain = await connectClient(s, { capabilities: {} });
    const sampling = await connectClient(s, { capabilities: { sampling: {} } });
    const caps = async (rig: typeof plain) =>
      JSON.parse(
        (
          (await rig.client.callTool({ name: "caps", arguments: {} })).content as Array<{
            text: string;
          }>
        )[0]?.text ?? "",
      );
    expect(await caps(plain)).toEqual({});
    expect(await caps(sampling)).toEqual({ sampling: {} });
    expect(s.upstreamCount).toBe(2);
  });

  it("answers a server request that no call caused itself", async () => {
    const s = new SharedUpstream({
      createTransport: () => echoChild({ args: ["--roots-on-init"] }),
    });
    shared = s;
    const rig = await connectClient(s, { capabilities: { roots: { listChanged: true } } });
    let asked = 0;
    rig.client.setRequestHandler(ListRootsRequestSchema, async () => {
      asked++;
      return { roots: [] };
    });
    // The fixture asks in its initialized handler, so its roots/list is on the wire before this
    // answer: it came with nothing interactive in flight, and the client was never asked.
    await rig.client.listTools();
    const echoed = await rig.client.callTool({ name: "echo", arguments: { text: "ok" } });
    expect(JSON.stringify(echoed)).toMatch(/ok/);
    expect(asked).toBe(0);
  });
});

/** Sends a raw initialize on a new virtual transport; returns the protocolVersion it was answered. */
async function rawInitialize(s: SharedUpstream, protocolVersion: string): Promise<unknown> {
  const transport = s.connect();
  const answer = new Promise<JSONRPCMessage>((resolve) => {
    transport.onmessage = resolve;
  });
  await transport.start();
  await transport.send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion, capabilities: {}, clientInfo: { name: "raw", version: "1" } },
  });
  const message = (await answer) as unknown as { result: { protocolVersion: string } };
  await transport.close();
  return message.result.protocolVersion;
}

describe("SharedUpstream over an upstream that relates its messages (e.g. in-process)", () => {
  /** A scripted upstream: records what it is sent; `emit` plays the upstream's side. */
  function scripted() {
    const sent: Array<{ message: JSONRPCMessage; options: unknown }> = [];
    const transport: Transport = {
      start: async () => {},
      close: async () => transport.onclose?.(),
      send: async (message, options) => {
        sent.push({ message, options });
      },
    };
    const emit = (message: unknown, relatedRequestId?: string) =>
      transport.onmessage?.(message as JSONRPCMessage, { relatedRequestId } as never);
    return { transport, sent, emit };
  }

  it("passes send options upstream and routes by relatedRequestId with several sessions in flight", async () => {
    const up = scripted();
    shared = new SharedUpstream({ createTransport: () => up.transport });
    const sessions = [shared.connect(), shared.connect()];
    const received: JSONRPCMessage[][] = [[], []];
    const initialize = {
      jsonrpc: "2.0" as const,
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "t", version: "1" },
      },
    };
    for (const [i, session] of sessions.entries()) {
      await session.start();
      await session.send(initialize);
      if (i === 0) {
        const id = (up.sent[0]?.message as { id: string } | undefined)?.id;
        up.emit({
          jsonrpc: "2.0",
          id,
          result: { protocolVersion: "2025-11-25", capabilities: {} },
        });
      }
      session.onmessage = (m) => received[i]?.push(m);
    }
    const auth = { authInfo: { token: "t", clientId: "a", scopes: [] } };
    await sessions[0]?.send({ jsonrpc: "2.0", id: 1, method: "tools/call" }, auth as never);
    await sessions[1]?.send({ jsonrpc: "2.0", id: 1, method: "tools/call" });
    expect(up.sent[1]?.options).toEqual(auth);
    const second = (up.sent[2]?.message as { id?: string } | undefined)?.id;
    up.emit({ jsonrpc: "2.0", id: 9, method: "sampling/createMessage", params: {} }, second);
    up.emit({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info" } }, second);
    // Nobody subscribed: an unasked resources/updated goes to the session that caused it.
    up.emit(
      { jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "x" } },
      second,
    );
    expect(received[0]).toEqual([]);
    expect(received[1]?.map((m) => (m as { method?: string }).method)).toEqual([
      "sampling/createMessage",
      "notifications/message",
      "notifications/resources/updated",
    ]);
  });
});
