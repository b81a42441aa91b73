// createServer returning SDK v2 objects (`@modelcontextprotocol/server`): the
// server is only connected and closed by us, so either SDK line serves both a
// 2025-era client (v1) and a 2026-07-28 client (v2, through the gateway).
import { StreamableHTTPClientTransport, Client as V2Client } from "@modelcontextprotocol/client";
import { McpServer } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { type SessionInfo, startHTTPServer } from "../src/index.js";
import { connectStreamable, onCleanup, textOf } from "./helpers.js";

const createServer = async () => {
  const server = new McpServer({ name: "v2-server", version: "2.0.0" });
  server.registerTool("hello", { description: "Says hello" }, async () => ({
    content: [{ type: "text", text: "hello from v2" }],
  }));
  return server;
};

describe("createServer with SDK v2 objects", () => {
  it("serves a 2025-era v1 client and a 2026-07-28 v2 client; onConnect gets the v2 server", async () => {
    const connected: Array<SessionInfo<McpServer>> = [];
    const handle = await startHTTPServer({
      port: 0,
      createServer,
      onConnect: (session) => {
        connected.push(session);
      },
    });
    onCleanup(() => handle.close());

    const v1 = await connectStreamable(`${handle.url}/mcp`);
    expect(v1.getServerVersion()).toMatchObject({ name: "v2-server" });
    expect(textOf(await v1.callTool({ name: "hello", arguments: {} }))).toBe("hello from v2");
    expect(connected[0]?.server).toBeInstanceOf(McpServer);

    const v2 = new V2Client(
      { name: "v2-client", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await v2.connect(new StreamableHTTPClientTransport(new URL(`${handle.url}/mcp`)));
    onCleanup(() => v2.close());
    const tools = await v2.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(["hello"]);
    const result = await v2.callTool({ name: "hello", arguments: {} });
    expect(textOf(result)).toBe("hello from v2");
  });
});
