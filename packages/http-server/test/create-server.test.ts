// createServer: an SDK Server per session on an in-process transport; the
// request reaches createServer and authenticate's result reaches handlers as
// authInfo, refreshed on every request (a session stays its creator's).
import type { IncomingMessage } from "node:http";
import { waitFor } from "@mcp-proxy/test-utils";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { connectSse, connectStreamable, startEcho, textOf } from "./helpers.js";
import { messagesOf, modernRequest, postModern, resultOf } from "./modern-helpers.js";

function whoamiServer(seen: IncomingMessage[]): (req: IncomingMessage) => Server {
  return (req) => {
    seen.push(req);
    const server = new Server(
      { name: "whoami", version: "1.0.0" },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [{ name: "whoami", inputSchema: { type: "object" } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => ({
      content: [
        {
          type: "text",
          text:
            request.params.name === "session"
              ? String(extra.sessionId)
              : String(extra.authInfo?.clientId ?? "anonymous"),
        },
      ],
    }));
    return server;
  };
}

describe.each([
  ["streamable", false],
  ["stateless", true],
])("createServer (%s)", (_name, stateless) => {
  it("passes the request to createServer and per-request authInfo to handlers", async () => {
    const seen: IncomingMessage[] = [];
    let user = "alice";
    const { url } = await startEcho({
      stateless,
      createServer: whoamiServer(seen),
      authenticate: () => ({ token: "t", clientId: user, scopes: [] }),
    });
    const client = await connectStreamable(`${url}/mcp`);
    expect(seen.length).toBe(1);
    expect(seen[0]?.url).toBe("/mcp");
    expect(textOf(await client.callTool({ name: "whoami", arguments: {} }))).toBe("alice");
    user = "bob";
    if (stateless) {
      // No session to belong to: every request is served as whoever sent it.
      expect(textOf(await client.callTool({ name: "whoami", arguments: {} }))).toBe("bob");
    } else {
      // A session belongs to the identity that created it: another finds no session (404).
      await expect(client.callTool({ name: "whoami", arguments: {} })).rejects.toThrow(/Not Found/);
      user = "alice";
    }
    // Stateful sessions show their id to the Server; the shared stateless Server has none.
    const transport = client.transport as { sessionId?: string } | undefined;
    expect(textOf(await client.callTool({ name: "session", arguments: {} }))).toBe(
      String(transport?.sessionId),
    );
  });
});

describe("createServer for 2026-07-28 clients", () => {
  it("passes per-request authInfo to the shared Server's handlers", async () => {
    let user = "carol";
    const { url } = await startEcho({
      createServer: whoamiServer([]),
      authenticate: () => ({ token: "t", clientId: user, scopes: [] }),
    });
    const call = async (id: number) => {
      const res = await postModern(url, modernRequest("tools/call", { name: "whoami" }, { id }));
      expect(res.status).toBe(200);
      const [answer] = await messagesOf(res);
      return (resultOf(answer).content as Array<{ text: string }>)[0]?.text;
    };
    expect(await call(1)).toBe("carol");
    user = "dave";
    expect(await call(2)).toBe("dave");
  });

  it("reports the shared modern upstream to onConnect and onClose", async () => {
    const events: string[] = [];
    const handle = await startEcho({
      createServer: whoamiServer([]),
      onConnect: (s) =>
        void events.push(`connect:${s.transport}:${s.sessionId}:${s.server ? "server" : "none"}`),
      onClose: (s) => void events.push(`close:${s.transport}`),
    });
    const res = await postModern(handle.url, modernRequest("tools/list", {}, { id: 3 }));
    expect(res.status).toBe(200);
    await res.text();
    expect(events).toEqual(["connect:modern:undefined:server"]);
    await handle.close();
    await waitFor(() => events.length === 2);
    expect(events[1]).toBe("close:modern");
  });
});

describe("createServer over legacy SSE", () => {
  it("serves a Server per SSE connection and calls onConnect/onClose", async () => {
    const events: string[] = [];
    const seen: IncomingMessage[] = [];
    const { url } = await startEcho({
      createServer: whoamiServer(seen),
      apiKey: "k",
      onConnect: (s) => void events.push(`connect:${s.transport}:${s.server ? "server" : "none"}`),
      onClose: (s) => void events.push(`close:${s.transport}`),
    });
    const client = await connectSse(`${url}/sse`, { headers: { "X-API-Key": "k" } });
    expect(textOf(await client.callTool({ name: "whoami", arguments: {} }))).toBe("api-key");
    await client.close();
    expect(events[0]).toBe("connect:sse:server");
  });

  it("requires exactly one of createServer and createUpstream", async () => {
    const { startHTTPServer } = await import("../src/index.js");
    await expect(startHTTPServer({ port: 0 })).rejects.toThrow(/exactly one/);
  });
});
