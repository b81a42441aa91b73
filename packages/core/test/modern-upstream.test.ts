import { fixtureCommand, fixturePath, waitFor } from "@mcp-proxy/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { ChildProcessTransport, META, type ModernGateway } from "../src/index.js";
import {
  closeGateways,
  collect,
  gatewayRig,
  modernRequest,
  resultOf,
  textOfResult,
} from "./modern-helpers.js";

afterEach(closeGateways);

const MODERN_SERVER = fixturePath("modern-server.mjs");
const modernChild = () =>
  new ChildProcessTransport({ ...fixtureCommand(MODERN_SERVER), killGracePeriodMs: 500 });

function modernRig(options: Parameters<typeof gatewayRig>[0] = {}) {
  const sent: Array<Record<string, unknown>> = [];
  const rig = gatewayRig({
    upstreamProtocol: "auto",
    createUpstream: () => {
      const child = modernChild();
      const send = child.send.bind(child);
      child.send = (m) => {
        sent.push(m as Record<string, unknown>);
        return send(m);
      };
      return child;
    },
    ...options,
  });
  return { ...rig, sent };
}

/** Opens listen "L" for tools list_changed and waits for its acknowledgement. */
async function startListen(gateway: ReturnType<typeof gatewayRig>["gateway"]) {
  const listener = collect();
  const abort = new AbortController();
  const listening = gateway.listen(
    modernRequest("L", "subscriptions/listen", { notifications: { toolsListChanged: true } }),
    listener.sink,
    abort.signal,
  );
  await waitFor(() => listener.notes.length === 1);
  return { listener, abort, listening };
}

describe("ModernGateway in front of a modern upstream", () => {
  it("auto-detects a modern upstream with server/discover and forwards requests", async () => {
    const { gateway, sent } = modernRig();
    const discover = collect();
    await gateway.handle(modernRequest(1, "server/discover"), discover.sink);
    expect(gateway.upstreamEra).toBe("modern");
    expect(sent.some((m) => m.method === "initialize")).toBe(false);
    expect(resultOf(await discover.response)).toMatchObject({
      supportedVersions: ["2026-07-28"],
      ttlMs: 1000,
    });
    const c = collect();
    await gateway.handle(
      modernRequest("x", "tools/call", { name: "echo", arguments: { text: "hey" } }),
      c.sink,
    );
    const response = await c.response;
    expect(response.id).toBe("x");
    expect(textOfResult(response)).toBe("hey");
    // The modern _meta passes through untouched.
    const call = sent.find((m) => m.method === "tools/call") as {
      params: { _meta: Record<string, unknown> };
    };
    expect(call.params._meta[META.protocolVersion]).toBe("2026-07-28");
  });

  /** The fixture's `ask` tool: input_required, then the retry answered "Ada"; both results. */
  async function askRound(gateway: ModernGateway) {
    const caps = { elicitation: {} };
    const first = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", { name: "ask", arguments: {} }, caps),
      first.sink,
    );
    const ir = resultOf(await first.response) as { resultType: string; requestState: string };
    expect(ir.resultType).toBe("input_required");
    const retry = collect();
    await gateway.handle(
      modernRequest(
        2,
        "tools/call",
        {
          name: "ask",
          arguments: {},
          requestState: ir.requestState,
          inputResponses: { who: { action: "accept", content: { name: "Ada" } } },
        },
        caps,
      ),
      retry.sink,
    );
    return { state: ir.requestState, text: textOfResult(await retry.response) };
  }

  it("passes requestState through byte-exact and keeps the retry on the same upstream", async () => {
    const { gateway } = modernRig({ maxUpstreams: 2 });
    const { state, text } = await askRound(gateway);
    expect(state).toMatch(/^pid=\d+;nonce=/);
    expect(text).toBe(`hello Ada (state ${state})`);
  });

  it("wraps the upstream's requestState under requestStatePrefix and restores it on the retry", async () => {
    const { gateway } = modernRig({ maxUpstreams: 2, requestStatePrefix: "r1." });
    const { state, text } = await askRound(gateway);
    expect(state).toMatch(/^r1\.~pid=\d+;nonce=/);
    // The upstream saw its own state, byte for byte.
    expect(text).toBe(`hello Ada (state ${state.slice("r1.~".length)})`);
  });

  it("passes subscriptions/listen through with the client's subscription id, and cancels it upstream", async () => {
    const { gateway, sent } = modernRig();
    const { listener, abort, listening } = await startListen(gateway);
    expect(listener.notes[0]).toMatchObject({
      method: "notifications/subscriptions/acknowledged",
      params: { _meta: { [META.subscriptionId]: "L" } },
    });
    const poke = collect();
    await gateway.handle(
      modernRequest(5, "tools/call", { name: "poke", arguments: {} }),
      poke.sink,
    );
    await waitFor(() => listener.notes.length === 2);
    expect(listener.notes[1]).toMatchObject({
      method: "notifications/tools/list_changed",
      params: { _meta: { [META.subscriptionId]: "L" } },
    });
    abort.abort();
    await listening;
    const listen = sent.find((m) => m.method === "subscriptions/listen") as { id: string };
    expect(sent).toContainEqual(
      expect.objectContaining({
        method: "notifications/cancelled",
        params: expect.objectContaining({ requestId: listen.id }),
      }),
    );
  });

  it("ends a listen when the modern upstream cancels it", async () => {
    const { gateway } = modernRig();
    const { listener, listening } = await startListen(gateway);
    const hangup = collect();
    await gateway.handle(
      modernRequest(2, "tools/call", { name: "hangup", arguments: {} }),
      hangup.sink,
    );
    await listening;
    expect(listener.responded()).toBe(false);
  });

  it("routes a modern upstream's log to the one request that asked, even with others in flight", async () => {
    const { gateway } = modernRig();
    const { listener, abort, listening } = await startListen(gateway);
    const c = collect();
    await gateway.handle(
      modernRequest(
        2,
        "tools/call",
        { name: "log", arguments: {} },
        {},
        { [META.logLevel]: "debug" },
      ),
      c.sink,
    );
    expect(c.notes).toEqual([
      expect.objectContaining({
        method: "notifications/message",
        params: expect.objectContaining({ data: "logged" }),
      }),
    ]);
    expect(listener.notes).toHaveLength(1);
    abort.abort();
    await listening;
  });

  it("falls back to initialize for a legacy upstream in auto mode", async () => {
    const { gateway, sent } = gatewayRig({ upstreamProtocol: "auto" });
    const c = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", { name: "echo", arguments: { text: "old" } }),
      c.sink,
    );
    expect(textOfResult(await c.response)).toBe("old");
    expect(gateway.upstreamEra).toBe("legacy");
    expect(sent.map((m) => (m as { method?: string }).method).slice(0, 2)).toEqual([
      "server/discover",
      "initialize",
    ]);
  });

  it("refuses a legacy upstream when told it is modern", async () => {
    const { gateway } = gatewayRig({ upstreamProtocol: "modern", maxRestarts: 0 });
    const c = collect();
    await gateway.handle(modernRequest(1, "tools/list"), c.sink);
    expect((await c.response).error).toBeDefined();
  });
});
