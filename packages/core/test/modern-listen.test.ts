import { waitFor } from "@mcp-proxy/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { META } from "../src/index.js";
import {
  closeGateways,
  collect,
  gatewayRig,
  modernRequest,
  textOfResult,
} from "./modern-helpers.js";

afterEach(closeGateways);

const methods = (notes: Array<{ method: string }>) => notes.map((n) => n.method);

describe("ModernGateway subscriptions/listen for a 2025-era upstream", () => {
  it("acknowledges, forwards only opted-in notifications tagged with the subscription id", async () => {
    const { gateway, sent } = gatewayRig();
    const all = collect();
    const abortAll = new AbortController();
    const listening = gateway.listen(
      modernRequest("sub-1", "subscriptions/listen", {
        notifications: {
          toolsListChanged: true,
          promptsListChanged: true,
          resourceSubscriptions: ["fixture://greeting"],
        },
      }),
      all.sink,
      abortAll.signal,
    );
    const toolsOnly = collect();
    const abortTools = new AbortController();
    const listeningTools = gateway.listen(
      modernRequest(9, "subscriptions/listen", { notifications: { resourcesListChanged: true } }),
      toolsOnly.sink,
      abortTools.signal,
    );
    await waitFor(() => all.notes.length === 1 && toolsOnly.notes.length === 1);
    expect(all.notes[0]).toMatchObject({
      method: "notifications/subscriptions/acknowledged",
      params: {
        notifications: { toolsListChanged: true, resourceSubscriptions: ["fixture://greeting"] },
        _meta: { [META.subscriptionId]: "sub-1" },
      },
    });
    expect(sent).toContainEqual(
      expect.objectContaining({
        method: "resources/subscribe",
        params: { uri: "fixture://greeting" },
      }),
    );

    const call = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", { name: "notify", arguments: {} }),
      call.sink,
    );
    expect(textOfResult(await call.response)).toBe("notified");
    // No logLevel asked: the request's own sink got no log message.
    expect(call.notes).toEqual([]);

    await waitFor(() => all.notes.length >= 3);
    expect(methods(all.notes).slice(1).sort()).toEqual([
      "notifications/resources/updated",
      "notifications/tools/list_changed",
    ]);
    for (const n of all.notes) {
      const meta = n.params?._meta as Record<string, unknown> | undefined;
      expect(meta?.[META.subscriptionId]).toBe("sub-1");
    }
    // The other listener opted into nothing the server sent (and the log never goes to listeners).
    expect(methods(toolsOnly.notes)).toEqual(["notifications/subscriptions/acknowledged"]);

    abortAll.abort();
    await listening;
    await waitFor(() =>
      sent.some((m) => (m as { method?: string }).method === "resources/unsubscribe"),
    );
    expect(all.responded()).toBe(false);
    await gateway.close();
    await listeningTools;
    // Graceful close: the listen request gets its (empty) result.
    expect(await toolsOnly.response).toMatchObject({
      id: 9,
      result: { resultType: "complete", _meta: { [META.subscriptionId]: 9 } },
    });
  });

  it("reference-counts resource subscriptions across listeners", async () => {
    const { gateway, sent } = gatewayRig();
    const listen = (id: number) => {
      const c = collect();
      const abort = new AbortController();
      const done = gateway.listen(
        modernRequest(id, "subscriptions/listen", {
          notifications: { resourceSubscriptions: ["fixture://greeting"] },
        }),
        c.sink,
        abort.signal,
      );
      return { c, abort, done };
    };
    const a = listen(1);
    const b = listen(2);
    await waitFor(() => a.c.notes.length === 1 && b.c.notes.length === 1);
    const count = (method: string) =>
      sent.filter((m) => (m as { method?: string }).method === method).length;
    expect(count("resources/subscribe")).toBe(1);
    a.abort.abort();
    await a.done;
    expect(count("resources/unsubscribe")).toBe(0);
    b.abort.abort();
    await b.done;
    await waitFor(() => count("resources/unsubscribe") === 1);
  });

  it("routes log messages only to a request that asked for them", async () => {
    const { gateway } = gatewayRig();
    const c = collect();
    await gateway.handle(
      modernRequest(
        1,
        "tools/call",
        { name: "notify", arguments: {} },
        {},
        { [META.logLevel]: "info" },
      ),
      c.sink,
    );
    await c.response;
    expect(c.notes).toContainEqual(
      expect.objectContaining({
        method: "notifications/message",
        params: expect.objectContaining({ data: "hello from fixture" }),
      }),
    );
    const quiet = collect();
    await gateway.handle(
      modernRequest(
        2,
        "tools/call",
        { name: "notify", arguments: {} },
        {},
        { [META.logLevel]: "error" },
      ),
      quiet.sink,
    );
    await quiet.response;
    expect(quiet.notes).toEqual([]);
  });
});

describe("ModernGateway upstream failure", () => {
  it("fails pending requests at once when the upstream exits, then restarts it", async () => {
    const { gateway, pids } = gatewayRig();
    const slow = collect();
    const pending = gateway.handle(
      modernRequest(1, "tools/call", { name: "slow", arguments: { ms: 20_000, steps: 2 } }),
      slow.sink,
    );
    const exit = collect();
    await gateway.handle(
      modernRequest(2, "tools/call", { name: "exit", arguments: { code: 3 } }),
      exit.sink,
    );
    await pending;
    expect((await slow.response).error).toMatchObject({ code: -32000 });
    expect(gateway.healthy).toBe(true);
    const next = collect();
    await gateway.handle(
      modernRequest(3, "tools/call", { name: "echo", arguments: { text: "back" } }),
      next.sink,
    );
    expect(textOfResult(await next.response)).toBe("back");
    expect(pids).toHaveLength(2);
  });

  it("reports unhealthy after too many failures", async () => {
    const { gateway } = gatewayRig({ maxRestarts: 1 }, ["--exit-after", "0", "--exit-code", "1"]);
    for (let i = 0; i < 3; i++) {
      const c = collect();
      await gateway.handle(modernRequest(i, "tools/list"), c.sink);
      expect((await c.response).error).toBeDefined();
    }
    expect(gateway.healthy).toBe(false);
  });

  it("close() is idempotent and answers later requests with an error", async () => {
    const { gateway } = gatewayRig();
    await gateway.start();
    await Promise.all([gateway.close(), gateway.close()]);
    const c = collect();
    await gateway.handle(modernRequest(1, "tools/list"), c.sink);
    expect((await c.response).error).toMatchObject({ code: -32000 });
  });
});
