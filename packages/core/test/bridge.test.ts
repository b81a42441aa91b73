import { isAlive, waitFor } from "@mcp-proxy/test-utils";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  type BridgeCloseInfo,
  bridge,
  ErrorCodes,
  type McpProxyError,
  UpstreamExitedError,
} from "../src/index.js";
import { connectThroughBridge, echoChild, type Rig, textOf } from "./helpers.js";

const rigs: Rig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    await rig.client.close().catch(() => {});
    await rig.handle.close();
  }
});

async function rig(...args: Parameters<typeof connectThroughBridge>): Promise<Rig> {
  const r = await connectThroughBridge(...args);
  rigs.push(r);
  return r;
}

describe("bridge to a real stdio server", () => {
  it("round-trips tools, resources and prompts", async () => {
    const { client } = await rig(echoChild());
    expect(client.getServerVersion()?.name).toBe("echo-fixture");
    expect(client.getInstructions()).toBe("Fixture server for mcp-proxy tests.");

    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("echo");
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "héllo" } }))).toBe(
      "héllo",
    );
    expect(textOf(await client.callTool({ name: "add", arguments: { a: 2, b: 40 } }))).toBe("42");

    const resources = await client.listResources();
    expect(resources.resources.map((r) => r.uri)).toContain("fixture://greeting");
    const read = await client.readResource({ uri: "fixture://items/7" });
    expect(read.contents[0]).toMatchObject({ uri: "fixture://items/7", text: "item 7" });

    const prompt = await client.getPrompt({ name: "greet", arguments: { name: "Ada" } });
    expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Please greet Ada." });
  });

  it("delivers concurrent requests and keeps each answer with its request", async () => {
    const { client } = await rig(echoChild());
    const texts = Array.from({ length: 25 }, (_, i) => `msg-${i}`);
    const results = await Promise.all(
      texts.map((text) => client.callTool({ name: "echo", arguments: { text } })),
    );
    expect(results.map(textOf)).toEqual(texts);
  });

  it("forwards progress notifications with the caller's token, before the result", async () => {
    const { client, received } = await rig(echoChild());
    const result = await client.callTool(
      { name: "slow", arguments: { ms: 30, steps: 3 }, _meta: { progressToken: "tok-1" } },
      undefined,
    );
    expect(textOf(result)).toBe("done after 30ms");
    // Checked on the wire: the SDK Client itself may drop progress that it
    // dispatches after the result, which says nothing about the bridge.
    const progress = received
      .filter((m) => "method" in m && m.method === "notifications/progress")
      .map((m) => (m as unknown as { params: { progressToken: string; progress: number } }).params);
    expect(progress.map((p) => [p.progressToken, p.progress])).toEqual([
      ["tok-1", 1],
      ["tok-1", 2],
      ["tok-1", 3],
    ]);
    const resultIndex = received.findIndex(
      (m) => "result" in m && JSON.stringify(m).includes("done after"),
    );
    const kinds = received.map((m) => ("method" in m ? m.method : "answer"));
    const lastProgress = kinds.lastIndexOf("notifications/progress");
    expect(lastProgress).toBeLessThan(resultIndex);
  });

  it("works with a server that prints non-JSON banner lines, reporting each", async () => {
    const noise: string[] = [];
    const { client } = await rig(
      echoChild({ args: ["--banner"], onNoise: (line) => noise.push(line) }),
    );
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "still fine" } }))).toBe(
      "still fine",
    );
    expect(noise).toEqual([
      "Starting fixture server v1.0...",
      "WARNING: this is not JSON",
      "{not json either}",
      '{"jsonrpc":"1.0","note":"json but not JSON-RPC"}',
    ]);
  });

  it("leaves no child or grandchild process after close", async () => {
    const r = await rig(echoChild());
    const pids = JSON.parse(
      textOf(await r.client.callTool({ name: "pid", arguments: { grandchild: true } })),
    );
    expect(pids.pid).toBe(r.child.pid);
    expect(isAlive(pids.pid)).toBe(true);
    expect(isAlive(pids.grandchild)).toBe(true);
    await r.handle.close();
    expect(isAlive(pids.pid)).toBe(false);
    // The grandchild is in the child's process group and gets the same signals.
    await waitFor(() => !isAlive(pids.grandchild), 5000);
    await r.handle.close(); // idempotent
    expect((await r.handle.closed).side).toBe("local");
  });

  it("closes the other side and reports the exit code when the child exits by itself", async () => {
    const closes: BridgeCloseInfo[] = [];
    const errors: Error[] = [];
    const child = echoChild();
    const r = await rig(child, {
      onClose: (info) => closes.push(info),
      onError: (e) => errors.push(e),
    });
    let clientClosed = false;
    r.client.onclose = () => {
      clientClosed = true;
    };
    await r.client.callTool({ name: "exit", arguments: { code: 7 } });
    const info = await r.handle.closed;
    expect(info.side).toBe("b");
    expect(closes).toHaveLength(1);
    expect(child.exitInfo).toEqual({ code: 7, signal: null, expected: false });
    const exited = errors.find((e) => e instanceof UpstreamExitedError) as
      | UpstreamExitedError
      | undefined;
    expect(exited?.code).toBe(ErrorCodes.UPSTREAM_EXITED);
    expect(exited?.exitCode).toBe(7);
    await waitFor(() => clientClosed, 2000);
  });
});

/** A minimal transport double for bridge semantics that need precise control over start and send. */
class ManualTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  sent: JSONRPCMessage[] = [];
  closeCalls = 0;
  failSends = false;
  releaseStart!: () => void;
  private readonly started: Promise<void>;
  constructor(private readonly manualStart = false) {
    this.started = new Promise((resolve) => {
      this.releaseStart = resolve;
    });
  }
  async start() {
    if (this.manualStart) await this.started;
  }
  async send(message: JSONRPCMessage) {
    if (this.failSends) throw new Error("pipe broken");
    this.sent.push(message);
  }
  async close() {
    this.closeCalls++;
    this.onclose?.();
  }
}

describe("bridge semantics", () => {
  const msg = (id: number): JSONRPCMessage => ({ jsonrpc: "2.0", id, method: "ping" });

  it("queues messages that arrive before the other side has started, in order", async () => {
    const a = new ManualTransport();
    const b = new ManualTransport(true);
    const pending = bridge(a, b, { start: { a: false, b: true } });
    // a is already live and delivers before b is ready.
    await Promise.resolve();
    a.onmessage?.(msg(1));
    a.onmessage?.(msg(2));
    expect(b.sent).toEqual([]);
    b.releaseStart();
    const handle = await pending;
    a.onmessage?.(msg(3));
    await Promise.resolve();
    expect(b.sent.map((m) => (m as { id: number }).id)).toEqual([1, 2, 3]);
    await handle.close();
  });

  it("closes the other side exactly once when one side closes", async () => {
    const a = new ManualTransport();
    const b = new ManualTransport();
    const closes: BridgeCloseInfo[] = [];
    const handle = await bridge(a, b, { onClose: (i) => closes.push(i) });
    a.onclose?.();
    a.onclose?.();
    await handle.closed;
    await handle.close();
    expect(closes).toEqual([{ side: "a" }]);
    expect(b.closeCalls).toBe(1);
  });

  it("reports a failed send instead of swallowing it", async () => {
    const a = new ManualTransport();
    const b = new ManualTransport();
    b.failSends = true;
    const errors: Array<[Error, string]> = [];
    const handle = await bridge(a, b, { onError: (e, side) => errors.push([e, side]) });
    a.onmessage?.(msg(1));
    await waitFor(() => errors.length === 1, 1000);
    expect(errors[0]?.[1]).toBe("b");
    expect((errors[0]![0] as McpProxyError).code).toBe(ErrorCodes.SEND_FAILED);
    expect(errors[0]?.[0].message).toContain("pipe broken");
    await handle.close();
  });

  it("closes on error when asked to", async () => {
    const a = new ManualTransport();
    const b = new ManualTransport();
    const handle = await bridge(a, b, { closeOnError: true });
    b.onerror?.(new Error("boom"));
    const info = await handle.closed;
    expect(info.side).toBe("b");
    expect(info.error?.message).toBe("boom");
    expect(a.closeCalls).toBe(1);
  });
});
