import { afterEach, describe, expect, it } from "vitest";
import { META } from "../src/index.js";
import {
  closeGateways,
  collect,
  gatewayRig,
  modernRequest,
  resultOf,
  textOfResult,
} from "./modern-helpers.js";

afterEach(closeGateways);

describe("ModernGateway in front of a 2025-era stdio server", () => {
  it("answers server/discover from the upstream's initialize result", async () => {
    const { gateway } = gatewayRig();
    const c = collect();
    await gateway.handle(modernRequest(1, "server/discover"), c.sink);
    const result = resultOf(await c.response);
    expect(result.resultType).toBe("complete");
    expect(result.supportedVersions).toEqual(["2026-07-28"]);
    expect(result.capabilities).toMatchObject({ tools: { listChanged: true } });
    expect(result.instructions).toBe("Fixture server for mcp-proxy tests.");
    expect(result.ttlMs).toBe(0);
    expect(result.cacheScope).toBe("private");
    expect((result._meta as Record<string, unknown>)[META.serverInfo]).toMatchObject({
      name: "echo-fixture",
    });
  });

  it("calls a tool and completes the result", async () => {
    const { gateway, sent } = gatewayRig();
    const c = collect();
    await gateway.handle(
      modernRequest(7, "tools/call", { name: "echo", arguments: { text: "hi" } }),
      c.sink,
    );
    const response = await c.response;
    expect(response.id).toBe(7);
    expect(textOfResult(response)).toBe("hi");
    expect(resultOf(response).resultType).toBe("complete");
    expect((resultOf(response)._meta as Record<string, unknown>)[META.serverInfo]).toMatchObject({
      name: "echo-fixture",
    });
    // The 2025-era upstream saw no protocol version, client info or log level
    // (client capabilities stay: harmless, and they let a server ask only for declared input).
    const call = sent.find((m) => (m as { method?: string }).method === "tools/call") as {
      params: { _meta?: Record<string, unknown> };
    };
    expect(Object.keys(call.params._meta ?? {})).toEqual([META.clientCapabilities]);
    expect(sent[0]).toMatchObject({ method: "initialize" });
  });

  it("keeps the ids of concurrent requests from different clients apart", async () => {
    const { gateway } = gatewayRig();
    const a = collect();
    const b = collect();
    await Promise.all([
      gateway.handle(
        modernRequest(1, "tools/call", { name: "echo", arguments: { text: "A" } }),
        a.sink,
      ),
      gateway.handle(
        modernRequest(1, "tools/call", { name: "echo", arguments: { text: "B" } }),
        b.sink,
      ),
    ]);
    const [ra, rb] = await Promise.all([a.response, b.response]);
    expect(ra.id).toBe(1);
    expect(rb.id).toBe(1);
    expect(textOfResult(ra)).toBe("A");
    expect(textOfResult(rb)).toBe("B");
  });

  it("routes progress to the request that asked, with its own token", async () => {
    const { gateway } = gatewayRig();
    const a = collect();
    const b = collect();
    await Promise.all([
      gateway.handle(
        modernRequest(
          1,
          "tools/call",
          { name: "slow", arguments: { ms: 30, steps: 3 } },
          {},
          {
            progressToken: "same",
          },
        ),
        a.sink,
      ),
      gateway.handle(
        modernRequest(
          2,
          "tools/call",
          { name: "slow", arguments: { ms: 30, steps: 2 } },
          {},
          {
            progressToken: "same",
          },
        ),
        b.sink,
      ),
    ]);
    expect(a.notes.map((n) => n.params?.progress)).toEqual([1, 2, 3]);
    expect(b.notes.map((n) => n.params?.progress)).toEqual([1, 2]);
    expect(a.notes.every((n) => n.params?.progressToken === "same")).toBe(true);
    expect(textOfResult(await a.response)).toBe("done after 30ms");
  });

  it("cancels upstream when the caller aborts, and sends nothing more", async () => {
    const { gateway, sent } = gatewayRig();
    const c = collect();
    const abort = new AbortController();
    const handled = gateway.handle(
      modernRequest(
        1,
        "tools/call",
        { name: "slow", arguments: { ms: 20_000, steps: 400 } },
        {},
        {
          progressToken: 1,
        },
      ),
      {
        ...c.sink,
        notify: (n) => {
          c.sink.notify(n);
          abort.abort();
        },
      },
      abort.signal,
    );
    await handled;
    const call = sent.find((m) => (m as { method?: string }).method === "tools/call") as {
      id: string;
    };
    const cancel = sent.find(
      (m) => (m as { method?: string }).method === "notifications/cancelled",
    );
    expect(cancel).toMatchObject({ params: { requestId: call.id } });
    expect(c.responded()).toBe(false);
    // The shared upstream keeps serving.
    const next = collect();
    await gateway.handle(
      modernRequest(2, "tools/call", { name: "add", arguments: { a: 1, b: 2 } }),
      next.sink,
    );
    expect(textOfResult(await next.response)).toBe("3");
  });

  it("answers removed methods with -32601", async () => {
    const { gateway } = gatewayRig();
    const c = collect();
    await gateway.handle(modernRequest(1, "ping"), c.sink);
    expect((await c.response).error).toMatchObject({ code: -32601 });
  });

  it("rejects a request without the required _meta", async () => {
    const { gateway } = gatewayRig();
    const c = collect();
    await gateway.handle({ jsonrpc: "2.0", id: 3, method: "tools/list", params: {} }, c.sink);
    expect((await c.response).error).toMatchObject({ code: -32602 });
    const v = collect();
    const req = modernRequest(4, "tools/list");
    (req.params as { _meta: Record<string, unknown> })._meta[META.protocolVersion] = "1900-01-01";
    await gateway.handle(req, v.sink);
    expect((await v.response).error).toMatchObject({
      code: -32022,
      data: { supported: ["2026-07-28"], requested: "1900-01-01" },
    });
  });

  it("completes list results with the cacheable fields", async () => {
    const { gateway } = gatewayRig();
    const c = collect();
    await gateway.handle(modernRequest(1, "tools/list"), c.sink);
    const result = resultOf(await c.response);
    expect(result).toMatchObject({ resultType: "complete", ttlMs: 0, cacheScope: "private" });
    expect((result.tools as Array<{ name: string }>).map((t) => t.name)).toContain("echo");
    expect(await gateway.toolInputSchema("echo")).toMatchObject({ type: "object" });
  });

  it("advertises the versions a dual-era endpoint serves", async () => {
    const advertised = ["2026-07-28", "2025-11-25", "2025-06-18"];
    const { gateway } = gatewayRig({ advertisedVersions: advertised });
    const c = collect();
    await gateway.handle(modernRequest(1, "server/discover"), c.sink);
    expect(resultOf(await c.response).supportedVersions).toEqual(advertised);
    const legacyInMeta = modernRequest(2, "tools/list");
    (legacyInMeta.params as { _meta: Record<string, unknown> })._meta[META.protocolVersion] =
      "2025-11-25";
    const v = collect();
    await gateway.handle(legacyInMeta, v.sink);
    expect((await v.response).error).toMatchObject({
      code: -32022,
      data: { supported: advertised, requested: "2025-11-25" },
    });
  });
});
