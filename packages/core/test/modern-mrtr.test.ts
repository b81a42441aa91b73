import { fixtureCommand, fixturePath, waitFor } from "@mcp-proxy/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { ChildProcessTransport } from "../src/index.js";
import {
  closeGateways,
  collect,
  gatewayRig,
  modernRequest,
  resultOf,
  textOfResult,
} from "./modern-helpers.js";

afterEach(closeGateways);

type InputRequired = {
  resultType: string;
  inputRequests: Record<string, { method: string; params: Record<string, unknown> }>;
  requestState: string;
};

/** The retry of a `sample` tool call that answers its sampling input `key` with `text`. */
function sampleRetry(
  id: number,
  prompt: string,
  requestState: string,
  key: string,
  text: string,
  caps: Record<string, unknown>,
) {
  return modernRequest(
    id,
    "tools/call",
    {
      name: "sample",
      arguments: { prompt },
      requestState,
      inputResponses: {
        [key]: { role: "assistant", content: { type: "text", text }, model: "test" },
      },
    },
    caps,
  );
}

describe("ModernGateway MRTR for a 2025-era upstream", () => {
  it("turns upstream sampling into input_required and completes on retry", async () => {
    const { gateway } = gatewayRig();
    const caps = { sampling: {} };
    const first = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", { name: "sample", arguments: { prompt: "Say hi" } }, caps),
      first.sink,
    );
    const ir = resultOf(await first.response) as unknown as InputRequired;
    expect(ir.resultType).toBe("input_required");
    expect(typeof ir.requestState).toBe("string");
    expect(ir.requestState.length).toBeGreaterThanOrEqual(32);
    const entries = Object.entries(ir.inputRequests);
    expect(entries).toHaveLength(1);
    const [key, input] = entries[0] as [
      string,
      { method: string; params: Record<string, unknown> },
    ];
    expect(input.method).toBe("sampling/createMessage");
    expect(input.params).toMatchObject({ maxTokens: 50 });

    const retry = collect();
    await gateway.handle(
      sampleRetry(2, "Say hi", ir.requestState, key, "hello!", caps),
      retry.sink,
    );
    const final = await retry.response;
    expect(final.id).toBe(2);
    expect(resultOf(final).resultType).toBe("complete");
    expect(textOfResult(final)).toBe("sampled: hello!");
  });

  it("starts its requestStates with requestStatePrefix and still completes the retry", async () => {
    const { gateway } = gatewayRig({ requestStatePrefix: "replica-a." });
    const caps = { sampling: {} };
    const first = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", { name: "sample", arguments: { prompt: "Hi" } }, caps),
      first.sink,
    );
    const ir = resultOf(await first.response) as unknown as InputRequired;
    expect(ir.requestState).toMatch(/^replica-a\.[A-Za-z0-9_-]{32}$/);
    const [key] = Object.keys(ir.inputRequests) as [string];
    const retry = collect();
    await gateway.handle(sampleRetry(2, "Hi", ir.requestState, key, "yo", caps), retry.sink);
    expect(textOfResult(await retry.response)).toBe("sampled: yo");
  });

  it("round-trips elicitation", async () => {
    const { gateway } = gatewayRig();
    const caps = { elicitation: {} };
    const first = collect();
    await gateway.handle(
      modernRequest("a", "tools/call", { name: "elicit", arguments: {} }, caps),
      first.sink,
    );
    const ir = resultOf(await first.response) as unknown as InputRequired;
    const [key, input] = Object.entries(ir.inputRequests)[0] as [string, { method: string }];
    expect(input.method).toBe("elicitation/create");
    const retry = collect();
    await gateway.handle(
      modernRequest(
        "b",
        "tools/call",
        {
          name: "elicit",
          arguments: {},
          requestState: ir.requestState,
          inputResponses: { [key]: { action: "accept", content: { name: "Ada" } } },
        },
        caps,
      ),
      retry.sink,
    );
    expect(textOfResult(await retry.response)).toBe('elicited: accept {"name":"Ada"}');
  });

  it("asks again for input the retry did not provide", async () => {
    const { gateway } = gatewayRig();
    const caps = { roots: {} };
    const first = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", { name: "roots", arguments: {} }, caps),
      first.sink,
    );
    const ir = resultOf(await first.response) as unknown as InputRequired;
    const again = collect();
    await gateway.handle(
      modernRequest(
        2,
        "tools/call",
        { name: "roots", arguments: {}, requestState: ir.requestState },
        caps,
      ),
      again.sink,
    );
    const ir2 = resultOf(await again.response) as unknown as InputRequired;
    expect(ir2.resultType).toBe("input_required");
    expect(Object.keys(ir2.inputRequests)).toEqual(Object.keys(ir.inputRequests));
    expect(ir2.requestState).not.toBe(ir.requestState);
    const done = collect();
    const [key] = Object.keys(ir2.inputRequests) as [string];
    await gateway.handle(
      modernRequest(
        3,
        "tools/call",
        {
          name: "roots",
          arguments: {},
          requestState: ir2.requestState,
          inputResponses: { [key]: { roots: [{ uri: "file:///tmp", name: "tmp" }] } },
        },
        caps,
      ),
      done.sink,
    );
    expect(textOfResult(await done.response)).toBe('[{"uri":"file:///tmp","name":"tmp"}]');
  });

  it("ends with -32021 when the upstream needs input the client did not declare", async () => {
    const { gateway, sent } = gatewayRig();
    const c = collect();
    await gateway.handle(
      modernRequest(
        1,
        "tools/call",
        { name: "sample", arguments: { prompt: "x" } },
        { elicitation: {} },
      ),
      c.sink,
    );
    expect((await c.response).error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { sampling: {} } },
    });
    await waitFor(() =>
      sent.some((m) => (m as { method?: string }).method === "notifications/cancelled"),
    );
    // The upstream's sampling request was answered with an error, not left waiting.
    expect(sent.some((m) => (m as { error?: { code: number } }).error?.code === -32601)).toBe(true);
  });

  it("rejects an unknown requestState clearly", async () => {
    const { gateway } = gatewayRig();
    const c = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", {
        name: "echo",
        arguments: { text: "x" },
        requestState: "forged",
      }),
      c.sink,
    );
    const error = (await c.response).error as { code: number; message: string };
    expect(error.code).toBe(-32602);
    expect(error.message).toMatch(/requestState/);
  });

  it("expires a parked round: the upstream is answered and cancelled, the retry is refused", async () => {
    const { gateway, sent } = gatewayRig({ parkedRoundTtlMs: 100 });
    const caps = { sampling: {} };
    const first = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", { name: "sample", arguments: { prompt: "x" } }, caps),
      first.sink,
    );
    const ir = resultOf(await first.response) as unknown as InputRequired;
    await waitFor(() =>
      sent.some((m) => (m as { method?: string }).method === "notifications/cancelled"),
    );
    const serverRequestAnswered = sent.some(
      (m) => (m as { error?: { message?: string } }).error?.message?.includes("expired") ?? false,
    );
    expect(serverRequestAnswered).toBe(true);
    const retry = collect();
    await gateway.handle(
      modernRequest(
        2,
        "tools/call",
        { name: "sample", arguments: { prompt: "x" }, requestState: ir.requestState },
        caps,
      ),
      retry.sink,
    );
    expect((await retry.response).error).toMatchObject({ code: -32602 });
  });

  it("refuses a requestState presented on a different request", async () => {
    const { gateway } = gatewayRig();
    const caps = { sampling: {} };
    const first = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", { name: "sample", arguments: { prompt: "x" } }, caps),
      first.sink,
    );
    const ir = resultOf(await first.response) as unknown as InputRequired;
    const wrong = collect();
    await gateway.handle(
      modernRequest(
        2,
        "tools/call",
        { name: "echo", arguments: { text: "x" }, requestState: ir.requestState },
        caps,
      ),
      wrong.sink,
    );
    expect((await wrong.response).error).toMatchObject({ code: -32602 });
    // The legitimate retry still works.
    const [key] = Object.keys(ir.inputRequests) as [string];
    const retry = collect();
    await gateway.handle(sampleRetry(3, "x", ir.requestState, key, "ok", caps), retry.sink);
    expect(textOfResult(await retry.response)).toBe("sampled: ok");
  });

  it("gives concurrent interactive requests their own upstream when the pool allows", async () => {
    const { gateway, pids } = gatewayRig({ maxUpstreams: 2 });
    const caps = { sampling: {} };
    const a = collect();
    const b = collect();
    await Promise.all([
      gateway.handle(
        modernRequest(1, "tools/call", { name: "sample", arguments: { prompt: "a" } }, caps),
        a.sink,
      ),
      gateway.handle(
        modernRequest(1, "tools/call", { name: "sample", arguments: { prompt: "b" } }, caps),
        b.sink,
      ),
    ]);
    const irA = resultOf(await a.response) as unknown as InputRequired;
    const irB = resultOf(await b.response) as unknown as InputRequired;
    expect(irA.resultType).toBe("input_required");
    expect(irB.resultType).toBe("input_required");
    expect(Object.values(irA.inputRequests)[0]?.params).toMatchObject({
      messages: [{ content: { text: "a" } }],
    });
    expect(Object.values(irB.inputRequests)[0]?.params).toMatchObject({
      messages: [{ content: { text: "b" } }],
    });
    expect(pids).toHaveLength(2);
  });

  it("bounds the number of parked rounds", async () => {
    const { gateway, sent } = gatewayRig({ maxUpstreams: 2, maxParkedRounds: 1 });
    const caps = { sampling: {} };
    const a = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", { name: "sample", arguments: { prompt: "a" } }, caps),
      a.sink,
    );
    expect(resultOf(await a.response).resultType).toBe("input_required");
    const b = collect();
    await gateway.handle(
      modernRequest(2, "tools/call", { name: "sample", arguments: { prompt: "b" } }, caps),
      b.sink,
    );
    expect((await b.response).error).toMatchObject({ code: -32603 });
    await waitFor(() =>
      sent.some((m) => (m as { method?: string }).method === "notifications/cancelled"),
    );
  });

  describe("with the conformance fixture's 2026-07-28 tools", () => {
    const conformance = () =>
      gatewayRig({
        createUpstream: () =>
          new ChildProcessTransport({
            ...fixtureCommand(fixturePath("conformance-server.mjs")),
            killGracePeriodMs: 500,
          }),
      });

    it("gathers inputs sent together into one input_required, keyed as the server asked", async () => {
      const { gateway } = conformance();
      const caps = { sampling: {}, elicitation: {}, roots: {} };
      const first = collect();
      const params = { name: "test_input_required_result_multiple_inputs", arguments: {} };
      await gateway.handle(modernRequest(1, "tools/call", params, caps), first.sink);
      const ir = resultOf(await first.response) as unknown as InputRequired;
      expect(Object.keys(ir.inputRequests).sort()).toEqual([
        "client_roots",
        "greeting",
        "user_name",
      ]);
      expect(JSON.stringify(ir.inputRequests)).not.toContain("mcp-proxy/inputKey");
      const retry = collect();
      await gateway.handle(
        modernRequest(
          2,
          "tools/call",
          {
            ...params,
            requestState: ir.requestState,
            inputResponses: {
              user_name: { action: "accept", content: { name: "Ada" } },
              greeting: { role: "assistant", content: { type: "text", text: "Hi" }, model: "m" },
              client_roots: { roots: [{ uri: "file:///a" }] },
            },
          },
          caps,
        ),
        retry.sink,
      );
      expect(textOfResult(await retry.response)).toBe("name=Ada, greeting=Hi, roots=1");
    });

    it("lets the server see the request's declared capabilities", async () => {
      const { gateway } = conformance();
      const c = collect();
      await gateway.handle(
        modernRequest(
          1,
          "tools/call",
          { name: "test_input_required_result_capabilities", arguments: {} },
          {
            sampling: {},
          },
        ),
        c.sink,
      );
      const ir = resultOf(await c.response) as unknown as InputRequired;
      expect(Object.keys(ir.inputRequests)).toEqual(["capital_question"]);
    });

    it("runs several rounds", async () => {
      const { gateway } = conformance();
      const caps = { elicitation: {} };
      const params = { name: "test_input_required_result_multi_round", arguments: {} };
      const first = collect();
      await gateway.handle(modernRequest(1, "tools/call", params, caps), first.sink);
      const ir1 = resultOf(await first.response) as unknown as InputRequired;
      expect(Object.keys(ir1.inputRequests)).toEqual(["step1"]);
      const second = collect();
      await gateway.handle(
        modernRequest(
          2,
          "tools/call",
          {
            ...params,
            requestState: ir1.requestState,
            inputResponses: { step1: { action: "accept", content: { name: "Ada" } } },
          },
          caps,
        ),
        second.sink,
      );
      const ir2 = resultOf(await second.response) as unknown as InputRequired;
      expect(Object.keys(ir2.inputRequests)).toEqual(["step2"]);
      const third = collect();
      await gateway.handle(
        modernRequest(
          3,
          "tools/call",
          {
            ...params,
            requestState: ir2.requestState,
            inputResponses: { step2: { action: "accept", content: { color: "blue" } } },
          },
          caps,
        ),
        third.sink,
      );
      expect(textOfResult(await third.response)).toBe("Multi-round complete: name=Ada, color=blue");
    });
  });
});
