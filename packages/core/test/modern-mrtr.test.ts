import { waitFor } from "@mcp-proxy/test-utils";
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

type InputRequired = {
  resultType: string;
  inputRequests: Record<string, { method: string; params: Record<string, unknown> }>;
  requestState: string;
};

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
      modernRequest(
        2,
        "tools/call",
        {
          name: "sample",
          arguments: { prompt: "Say hi" },
          requestState: ir.requestState,
          inputResponses: {
            [key]: { role: "assistant", content: { type: "text", text: "hello!" }, model: "test" },
          },
        },
        caps,
      ),
      retry.sink,
    );
    const final = await retry.response;
    expect(final.id).toBe(2);
    expect(resultOf(final).resultType).toBe("complete");
    expect(textOfResult(final)).toBe("sampled: hello!");
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

  it("does not surface input requests the client did not declare", async () => {
    const { gateway } = gatewayRig();
    const c = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", { name: "sample", arguments: { prompt: "x" } }),
      c.sink,
    );
    const response = await c.response;
    // The upstream's sampling failed, so the tool reports an error; no input_required.
    const result = response.result as Record<string, unknown> | undefined;
    if (result) {
      expect(result.resultType).toBe("complete");
      expect(result.isError).toBe(true);
    } else {
      expect(response.error).toBeDefined();
    }
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

  it("expires a parked exchange: the upstream is answered and cancelled, the retry is refused", async () => {
    const { gateway, sent } = gatewayRig({ pendingExchangeTtlMs: 100 });
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
    await gateway.handle(
      modernRequest(
        3,
        "tools/call",
        {
          name: "sample",
          arguments: { prompt: "x" },
          requestState: ir.requestState,
          inputResponses: {
            [key]: { role: "assistant", content: { type: "text", text: "ok" }, model: "m" },
          },
        },
        caps,
      ),
      retry.sink,
    );
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
});
