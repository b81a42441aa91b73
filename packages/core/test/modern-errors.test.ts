// Legacy error codes 2026-07-28 forbids, translated by the gateway; the upstream
// is a real SDK Server in process (over an in-memory pair).
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  UrlElicitationRequiredError,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { ModernGateway } from "../src/index.js";
import { collect, modernRequest, resultOf } from "./modern-helpers.js";

const servers: Server[] = [];
const gateways: ModernGateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function inProcessGateway(): ModernGateway {
  const gateway = new ModernGateway({
    createUpstream: () => {
      const [ours, theirs] = InMemoryTransport.createLinkedPair();
      const server = new Server(
        { name: "in-process", version: "1.0.0" },
        { capabilities: { tools: {}, resources: {} } },
      );
      server.setRequestHandler(CallToolRequestSchema, async () => {
        throw new UrlElicitationRequiredError([
          {
            mode: "url",
            message: "Sign in",
            url: "https://example.com/login",
            elicitationId: "e1",
          },
        ]);
      });
      server.setRequestHandler(ReadResourceRequestSchema, async () => {
        throw new McpError(-32002, "Resource not found");
      });
      servers.push(server);
      void server.connect(theirs);
      return ours;
    },
  });
  gateways.push(gateway);
  return gateway;
}

describe("ModernGateway translation of legacy-only error codes", () => {
  it("turns -32002 (resource not found) into -32602", async () => {
    const gateway = inProcessGateway();
    const c = collect();
    await gateway.handle(modernRequest(1, "resources/read", { uri: "test://missing" }), c.sink);
    expect((await c.response).error).toMatchObject({ code: -32602 });
  });

  it("turns -32042 into an input_required URL elicitation when the client declared it", async () => {
    const gateway = inProcessGateway();
    const c = collect();
    await gateway.handle(
      modernRequest(
        1,
        "tools/call",
        { name: "login", arguments: {} },
        { elicitation: { url: {} } },
      ),
      c.sink,
    );
    const result = resultOf(await c.response);
    expect(result).toMatchObject({
      resultType: "input_required",
      inputRequests: {
        "url-1": {
          method: "elicitation/create",
          params: { mode: "url", url: "https://example.com/login" },
        },
      },
    });
    expect(result.requestState).toBeUndefined();
  });

  it("turns -32042 into -32021 when the client did not declare URL elicitation", async () => {
    const gateway = inProcessGateway();
    const c = collect();
    await gateway.handle(
      modernRequest(1, "tools/call", { name: "login", arguments: {} }, { elicitation: {} }),
      c.sink,
    );
    expect((await c.response).error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { elicitation: { url: {} } } },
    });
  });
});

describe("ModernGateway's own failures carry an HTTP status", () => {
  it("suggests none for an upstream's JSON-RPC error", async () => {
    const gateway = inProcessGateway();
    const c = collect();
    await gateway.handle(modernRequest(1, "resources/read", { uri: "test://missing" }), c.sink);
    expect((await c.response).error).toBeDefined();
    expect(c.status()).toBeUndefined();
  });

  it("suggests 502 when the upstream cannot be created", async () => {
    const gateway = new ModernGateway({
      createUpstream: () => {
        throw new Error("no upstream today");
      },
    });
    gateways.push(gateway);
    const c = collect();
    await gateway.handle(modernRequest(2, "tools/list"), c.sink);
    expect((await c.response).error).toMatchObject({ code: -32000 });
    expect(c.status()).toBe(502);
  });

  it("suggests 503 once the gateway is closed", async () => {
    const gateway = inProcessGateway();
    await gateway.close();
    const c = collect();
    await gateway.handle(modernRequest(3, "tools/list"), c.sink);
    expect((await c.response).error).toMatchObject({ code: -32000, message: "Gateway closed" });
    expect(c.status()).toBe(503);
  });
});
