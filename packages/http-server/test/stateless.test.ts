// Stateless mode: one shared, already-initialised upstream serves concurrent
// clients; ids and progress tokens are remapped so nothing crosses over.
import { ChildProcessTransport } from "@mcp-proxy/core";
import { CONFORMANCE_SERVER, fixtureCommand, fixturePath, waitFor } from "@mcp-proxy/test-utils";
import {
  type JSONRPCMessage,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import {
  connectStreamable,
  echoUpstream,
  initializeBody,
  JSON_HEADERS,
  startEcho,
  textOf,
} from "./helpers.js";

describe("stateless mode", () => {
  it("serves concurrent clients from one upstream without crossing answers or progress", async () => {
    let created = 0;
    const { url } = await startEcho({
      stateless: true,
      createUpstream: () => {
        created++;
        return echoUpstream()();
      },
    });
    const clients = await Promise.all([1, 2, 3, 4].map(() => connectStreamable(`${url}/mcp`)));
    const results = await Promise.all(
      clients.flatMap((client, c) =>
        [1, 2, 3].map(async (n) => {
          const progress: number[] = [];
          const text = textOf(
            await client.callTool(
              { name: "slow", arguments: { ms: 30 * n, steps: 2 } },
              undefined,
              {
                onprogress: (p) => progress.push(p.progress),
              },
            ),
          );
          const echo = textOf(
            await client.callTool({ name: "echo", arguments: { text: `c${c}n${n}` } }),
          );
          return { text, echo, progress, c, n };
        }),
      ),
    );
    for (const r of results) {
      expect(r.text).toBe(`done after ${30 * r.n}ms`);
      expect(r.echo).toBe(`c${r.c}n${r.n}`);
      expect(r.progress.every((p) => p === 1 || p === 2)).toBe(true);
    }
    expect(created).toBe(1);
  });

  it("answers initialize from the cached result, with instructions and no session id", async () => {
    const { url } = await startEcho({ stateless: true });
    for (const version of ["2025-03-26", "2025-06-18"]) {
      const res = await fetch(`${url}/mcp`, {
        method: "POST",
        headers: { ...JSON_HEADERS, Accept: "application/json" },
        body: JSON.stringify({
          ...initializeBody(1),
          params: { ...initializeBody(1).params, protocolVersion: version },
        }),
      });
      expect(res.headers.get("mcp-session-id")).toBeNull();
      const body = (await res.json()) as {
        result: { protocolVersion: string; instructions: string; serverInfo: { name: string } };
      };
      expect(body.result.protocolVersion).toBe(version);
      expect(body.result.instructions).toBe("Fixture server for mcp-proxy tests.");
      expect(body.result.serverInfo.name).toBe("echo-fixture");
    }
  });

  it("a batch of requests gets a batch of answers with the caller's ids", async () => {
    const { url } = await startEcho({ stateless: true });
    const res = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...JSON_HEADERS, Accept: "application/json" },
      body: JSON.stringify([
        { jsonrpc: "2.0", id: "a", method: "ping" },
        { jsonrpc: "2.0", id: 1, method: "tools/list" },
      ]),
    });
    const body = (await res.json()) as Array<{ id: string | number }>;
    expect(body.map((m) => m.id).sort()).toEqual([1, "a"].sort());
  });

  it("reference-counts resource subscriptions on the shared upstream", async () => {
    const upstreamMethods: string[] = [];
    const { url } = await startEcho({
      stateless: true,
      createUpstream: () => {
        const t = new ChildProcessTransport(fixtureCommand(CONFORMANCE_SERVER));
        const send = t.send.bind(t);
        t.send = (message: JSONRPCMessage) => {
          const method = (message as { method?: string }).method;
          if (method?.startsWith("resources/")) upstreamMethods.push(method);
          return send(message);
        };
        return t;
      },
    });
    const [a, b] = await Promise.all([
      connectStreamable(`${url}/mcp`),
      connectStreamable(`${url}/mcp`),
    ]);
    const uri = "test://watched-resource";
    await a?.subscribeResource({ uri });
    await b?.subscribeResource({ uri });
    await a?.unsubscribeResource({ uri });
    expect(upstreamMethods).toEqual(["resources/subscribe"]);
    await b?.unsubscribeResource({ uri });
    expect(upstreamMethods).toEqual(["resources/subscribe", "resources/unsubscribe"]);
  });
});

describe("stateless subscriptions", () => {
  it("delivers a subscribed resources/updated to the one request in flight", async () => {
    const { url } = await startEcho({
      stateless: true,
      createUpstream: () =>
        new ChildProcessTransport(fixtureCommand(fixturePath("subscribable-server.mjs"))),
    });
    const client = await connectStreamable(`${url}/mcp`);
    const updated: string[] = [];
    client.setNotificationHandler(
      ResourceUpdatedNotificationSchema,
      (n) => void updated.push(n.params.uri),
    );
    const uri = "fixture://greeting";
    await client.subscribeResource({ uri });
    await client.callTool({ name: "touch", arguments: { uri } });
    await waitFor(() => updated.length > 0, 5000);
    expect(updated).toEqual([uri]);
  });
});
