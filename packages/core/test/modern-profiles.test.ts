// Capability-exact upstreams behind the gateway: each client capability profile
// gets upstreams initialised with exactly that profile, an interactive call has
// its upstream to itself (others of the profile wait in line), what no call
// caused is answered by the proxy, and the number of upstreams is bounded.
import { waitFor } from "@mcp-proxy/test-utils";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  closeGateways,
  collect,
  gatewayRig,
  modernRequest,
  resultOf,
  textOfResult,
} from "./modern-helpers.js";

afterEach(closeGateways);

const call = (id: number, name: string, caps: Record<string, unknown>, args = {}) =>
  modernRequest(id, "tools/call", { name, arguments: args }, caps);

type InputRequired = { resultType: string; inputRequests: object; requestState: string };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("capability profiles", () => {
  it("initialises each profile's upstream with exactly the capabilities its callers declared", async () => {
    const { gateway, pids } = gatewayRig();
    const profiles = [{}, { sampling: {} }, { sampling: {}, roots: {}, elicitation: { form: {} } }];
    const seen: unknown[] = [];
    for (const [i, caps] of profiles.entries()) {
      const c = collect();
      await gateway.handle(call(i + 1, "caps", caps), c.sink);
      seen.push(JSON.parse(textOfResult(await c.response)));
    }
    expect(seen).toEqual(profiles);
    // The same profile again, keys in another order: the same upstream.
    const again = collect();
    await gateway.handle(
      call(9, "caps", { elicitation: { form: {} }, roots: {}, sampling: {} }),
      again.sink,
    );
    expect(JSON.parse(textOfResult(await again.response))).toEqual(profiles[2]);
    expect(new Set(pids).size).toBe(3);
  });

  it("gives an interactive call its upstream to itself and queues the next one of its profile", async () => {
    const { gateway, pids } = gatewayRig({ maxUpstreamsPerProfile: 1 });
    const caps = { sampling: {} };
    const abort = new AbortController();
    const slow = collect();
    const slowDone = gateway.handle(call(1, "slow", caps, { ms: 60_000 }), slow.sink, abort.signal);
    await waitFor(() => pids.length === 1, 10_000);
    // The profile's one upstream runs an interactive call: the next one waits in line.
    const second = collect();
    const secondDone = gateway.handle(call(2, "echo", caps, { text: "second" }), second.sink);
    // A non-interactive request of the same profile is not held up.
    const list = collect();
    await gateway.handle(modernRequest(3, "tools/list", {}, caps), list.sink);
    expect(resultOf(await list.response).tools).toBeDefined();
    expect(second.responded()).toBe(false);
    abort.abort();
    await slowDone;
    await secondDone;
    expect(textOfResult(await second.response)).toBe("second");
    expect(new Set(pids).size).toBe(1);
  });

  it("lets a live call run beside parked rounds rather than wait for their retries", async () => {
    const { gateway, pids } = gatewayRig({ maxUpstreamsPerProfile: 1 });
    const caps = { sampling: {} };
    const parked: InputRequired[] = [];
    for (const [id, prompt] of [
      [1, "one"],
      [2, "two"],
    ] as const) {
      const c = collect();
      await gateway.handle(call(id, "sample", caps, { prompt }), c.sink);
      parked.push(resultOf(await c.response) as unknown as InputRequired);
    }
    expect(parked.map((p) => p.resultType)).toEqual(["input_required", "input_required"]);
    for (const [i, p] of parked.entries()) {
      const retry = collect();
      await gateway.handle(
        modernRequest(
          10 + i,
          "tools/call",
          {
            name: "sample",
            arguments: { prompt: i === 0 ? "one" : "two" },
            requestState: p.requestState,
            inputResponses: Object.fromEntries(
              Object.keys(p.inputRequests).map((key) => [
                key,
                { role: "assistant", content: { type: "text", text: `answer ${i}` }, model: "m" },
              ]),
            ),
          },
          caps,
        ),
        retry.sink,
      );
      expect(textOfResult(await retry.response)).toBe(`sampled: answer ${i}`);
    }
    expect(new Set(pids).size).toBe(1);
  });

  it("does not serialise calls of a profile that lets the server ask nothing", async () => {
    const { gateway, pids } = gatewayRig({ maxUpstreamsPerProfile: 1 });
    const slow = collect();
    const slowDone = gateway.handle(call(1, "slow", {}, { ms: 5000 }), slow.sink);
    const echo = collect();
    await gateway.handle(call(2, "echo", {}, { text: "hi" }), echo.sink);
    expect(textOfResult(await echo.response)).toBe("hi");
    expect(slow.responded()).toBe(false);
    await gateway.close();
    await slowDone;
    expect(new Set(pids).size).toBe(1);
  });
});

describe("requests no call caused", () => {
  it("answers a server's own roots/list itself, and the caller's request succeeds", async () => {
    const { gateway, sent } = gatewayRig({}, ["--roots-on-init"]);
    const c = collect();
    await gateway.handle(modernRequest(1, "tools/list", {}, { roots: {} }), c.sink);
    expect(resultOf(await c.response).tools).toBeDefined();
    const answered = (m: JSONRPCMessage) =>
      "result" in m && JSON.stringify(m.result) === JSON.stringify({ roots: [] });
    await waitFor(() => sent.some(answered), 10_000);
    // Later interactive calls of the profile still work.
    const roots = collect();
    await gateway.handle(call(2, "echo", { roots: {} }, { text: "after" }), roots.sink);
    expect(textOfResult(await roots.response)).toBe("after");
  });
});

describe("bounds", () => {
  it("answers 503 when every upstream is busy, and makes room by stopping an idle one", async () => {
    const { gateway, pids } = gatewayRig({ maxUpstreams: 1 });
    const slow = collect();
    const abort = new AbortController();
    const slowDone = gateway.handle(call(1, "slow", {}, { ms: 60_000 }), slow.sink, abort.signal);
    await waitFor(() => pids.length === 1, 10_000);
    const refused = collect();
    await gateway.handle(call(2, "caps", { sampling: {} }), refused.sink);
    const error = (await refused.response).error as { code: number; message: string };
    expect(refused.status()).toBe(503);
    expect(error.message).toMatch(/busy/);
    // The slow call's client goes away: its upstream is idle and may be stopped for the next profile.
    abort.abort();
    await slowDone;
    const first = pids[0] as number;
    const admitted = collect();
    await gateway.handle(call(3, "caps", { sampling: {} }), admitted.sink);
    expect(JSON.parse(textOfResult(await admitted.response))).toEqual({ sampling: {} });
    await waitFor(() => !alive(first), 10_000);
  });

  it("stops an upstream that has been idle for upstreamIdleTimeoutMs", async () => {
    const { gateway, pids } = gatewayRig({ upstreamIdleTimeoutMs: 100 });
    const c = collect();
    await gateway.handle(call(1, "echo", {}, { text: "x" }), c.sink);
    expect(textOfResult(await c.response)).toBe("x");
    const pid = pids[0] as number;
    await waitFor(() => !alive(pid), 10_000);
    // The next request starts a fresh one.
    const next = collect();
    await gateway.handle(call(2, "echo", {}, { text: "y" }), next.sink);
    expect(textOfResult(await next.response)).toBe("y");
    expect(gateway.healthy).toBe(true);
  });
});
