// Large results carry their upstream JSON text (core records it for lines of
// LARGE_JSON_TEXT characters or more). Paths that rewrite ids in place
// (stateless mode, the modern gateway) must not write that stale text, and
// the stateful relay writes it as is: every client gets its own id back.
import { LARGE_JSON_TEXT } from "@mcp-proxy/core/internal";
import { describe, expect, it } from "vitest";
import { connectSse, connectStreamable, postMcp, startEcho, textOf } from "./helpers.js";

const SIZE = LARGE_JSON_TEXT * 4;

describe("large results", () => {
  it.each([
    ["stateful Streamable HTTP", false],
    ["stateless Streamable HTTP", true],
  ] as const)(
    "%s: each concurrent client gets its own id and the whole text",
    async (_name, stateless) => {
      const server = await startEcho({ stateless });
      const clients = await Promise.all([1, 2].map(() => connectStreamable(`${server.url}/mcp`)));
      const results = await Promise.all(
        clients.flatMap((client) =>
          [SIZE, SIZE + 1].map((size) => client.callTool({ name: "big", arguments: { size } })),
        ),
      );
      expect(results.map((r) => textOf(r).length)).toEqual([SIZE, SIZE + 1, SIZE, SIZE + 1]);
    },
  );

  it("legacy SSE relays a large result intact", async () => {
    const server = await startEcho();
    const client = await connectSse(`${server.url}/sse`);
    expect(textOf(await client.callTool({ name: "big", arguments: { size: SIZE } }))).toHaveLength(
      SIZE,
    );
  });

  it("the modern gateway answers a large result with the caller's id and resultType", async () => {
    const server = await startEcho();
    const meta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    const response = await postMcp(
      server.url,
      JSON.stringify({
        jsonrpc: "2.0",
        id: "big-1",
        method: "tools/call",
        params: { name: "big", arguments: { size: SIZE }, _meta: meta },
      }),
      { "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "big" },
    );
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text.startsWith("{") ? text : text.split("data: ").pop()!.trim());
    expect(body.id).toBe("big-1");
    expect(body.result.resultType).toBe("complete");
    expect(body.result.content[0].text).toHaveLength(SIZE);
  });
});
