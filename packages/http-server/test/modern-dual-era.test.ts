// Both eras on one endpoint at the same time: 2025-era SDK clients (Streamable
// HTTP sessions and legacy HTTP+SSE) keep working while 2026-07-28 requests go
// through the gateway's shared upstream, in stateful and stateless mode.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { connectSse, connectStreamable, startEcho, textOf } from "./helpers.js";
import { messagesOf, modernRequest, postModern, resultOf } from "./modern-helpers.js";

async function modernEcho(url: string, text: string): Promise<unknown> {
  const call = modernRequest("tools/call", { name: "echo", arguments: { text } });
  const result = resultOf((await messagesOf(await postModern(url, call)))[0]);
  return (result.content as Array<{ text?: string }>)[0]?.text;
}

describe("one endpoint, both eras", () => {
  for (const stateless of [false, true]) {
    it(`serves 2025-era SDK clients and modern requests concurrently (stateless: ${stateless})`, async () => {
      const { url } = await startEcho({ stateless });
      const streamable = await connectStreamable(`${url}/mcp`);
      const sse = stateless ? undefined : await connectSse(`${url}/sse`);
      const rounds = Array.from({ length: 5 }, (_, i) => i);
      const results = await Promise.all(
        rounds.flatMap((i) => [
          streamable
            .callTool({ name: "echo", arguments: { text: `legacy-${i}` } })
            .then((r) => textOf(r)),
          sse?.callTool({ name: "echo", arguments: { text: `sse-${i}` } }).then((r) => textOf(r)) ??
            `sse-${i}`,
          modernEcho(url, `modern-${i}`),
        ]),
      );
      expect(results).toEqual(rounds.flatMap((i) => [`legacy-${i}`, `sse-${i}`, `modern-${i}`]));
      // A 2025-era initialize without modern _meta still creates a session (or is answered statelessly).
      expect(streamable.getServerVersion()?.name).toBeTruthy();
      expect(await streamable.listTools()).toMatchObject({ tools: expect.any(Array) });
    });
  }

  it("ignores a stale Mcp-Session-Id on a request with modern _meta", async () => {
    const { url } = await startEcho();
    const res = await postModern(url, modernRequest("server/discover"), {
      "Mcp-Session-Id": "stale-session",
    });
    expect(res.status).toBe(200);
    expect(resultOf((await messagesOf(res))[0])).toMatchObject({ resultType: "complete" });
  });

  it("serves modern requests from one shared createServer Server", async () => {
    let created = 0;
    const { url } = await startEcho({
      createServer: () => {
        created++;
        const server = new Server(
          { name: "in-process", version: "2.0.0" },
          { capabilities: { tools: {} } },
        );
        server.setRequestHandler(ListToolsRequestSchema, async () => ({
          tools: [{ name: "echo", inputSchema: { type: "object" } }],
        }));
        server.setRequestHandler(CallToolRequestSchema, async (request) => ({
          content: [{ type: "text", text: String(request.params.arguments?.text) }],
        }));
        return server;
      },
    });
    const discover = resultOf(
      (await messagesOf(await postModern(url, modernRequest("server/discover"))))[0],
    );
    expect(discover).toMatchObject({
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "in-process", version: "2.0.0" } },
    });
    expect(await Promise.all([modernEcho(url, "a"), modernEcho(url, "b")])).toEqual(["a", "b"]);
    expect(created).toBe(1);
    // A 2025-era session gets a Server of its own.
    const client = await connectStreamable(`${url}/mcp`);
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "c" } }))).toBe("c");
    expect(created).toBe(2);
  });
});
