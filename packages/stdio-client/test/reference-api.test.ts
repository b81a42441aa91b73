// startStdioServer called the way the reference package (`mcp-proxy` 6.x)
// documents it: serverType, url, transportOptions, upstreamProtocol, and
// initStdioServer / initStreamClient with SDK objects. Real remotes over HTTP,
// a real SDK client on the stdio side (spawned, or in-process on a pipe pair).
import { PassThrough } from "node:stream";
import { silentLogger } from "@mcp-proxy/core";
import { waitFor } from "@mcp-proxy/test-utils";
import { Client as ClientV2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ReferenceTransportOptions,
  type SdkClientLike,
  type SdkServerLike,
  ServerType,
  type StartStdioServerOptions,
  type StdioServerHandle,
  startStdioServer,
} from "../src/index.js";
import { StdioStreamTransport } from "../src/stdio-transport.js";
import { closeRunners, spawnRunner } from "./helpers/runner.js";
import { closeServers, startSseServer, startStreamServer } from "./helpers/servers.js";

// Compile-time: the SDKs' own types fit ours, so reference code needs no casts.
type Fits<A extends B, B> = A;
export type V1Options = Fits<
  import("@modelcontextprotocol/sdk/client/streamableHttp.js").StreamableHTTPClientTransportOptions,
  ReferenceTransportOptions
>;
export type V1SseOptions = Fits<
  import("@modelcontextprotocol/sdk/client/sse.js").SSEClientTransportOptions,
  ReferenceTransportOptions
>;
export type V2Options = Fits<
  import("@modelcontextprotocol/client").StreamableHTTPClientTransportOptions,
  ReferenceTransportOptions
>;
export type V1Client = Fits<Client, SdkClientLike>;
export type V2Client = Fits<ClientV2, SdkClientLike>;
export type V1Server = Fits<Server, SdkServerLike>;

const handles = new Set<StdioServerHandle<SdkServerLike, SdkClientLike>>();
const pipes = new Set<PassThrough>();

afterEach(async () => {
  for (const pipe of pipes) pipe.end();
  pipes.clear();
  await Promise.allSettled([...handles].map((h) => h.close()));
  handles.clear();
  await closeRunners();
  await closeServers();
});

/** A local SDK client on a pipe pair: `stdin`/`stdout` are the proxy's side. */
function localClient() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  pipes.add(stdin);
  pipes.add(stdout);
  const client = new Client({ name: "local", version: "1.0.0" }, { capabilities: {} });
  const transport: Transport = new StdioStreamTransport(stdout, stdin, silentLogger);
  return { stdin, stdout, client, connect: () => client.connect(transport) };
}

function track<S extends SdkServerLike, C extends SdkClientLike>(
  handle: StdioServerHandle<S, C>,
): StdioServerHandle<S, C> {
  handles.add(handle as StdioServerHandle<SdkServerLike, SdkClientLike>);
  return handle;
}

/**
 * startStdioServer with `options` in front of a local SDK client on in-memory pipes; the handle
 * is closed after the test.
 */
async function startFront<S extends SdkServerLike = Server, C extends SdkClientLike = Client>(
  options: Omit<StartStdioServerOptions<S, C>, "stdin" | "stdout" | "logger">,
) {
  const local = localClient();
  const handle = track(
    await startStdioServer<S, C>({
      ...options,
      stdin: local.stdin,
      stdout: local.stdout,
      logger: silentLogger,
    } as StartStdioServerOptions<S, C>),
  );
  return { local, handle };
}

describe("the reference's call, as written", () => {
  it("serverType: ServerType.SSE reaches an HTTP+SSE server", async () => {
    const server = await startSseServer();
    const runner = spawnRunner({ serverType: ServerType.SSE, url: server.url });
    await runner.client.connect(runner.transport);
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "via sse" } });
    expect(echoed.content).toEqual([{ type: "text", text: "via sse" }]);
    expect(server.requests.some((r) => r.method === "GET" && r.url === "/sse")).toBe(true);
    // SSE means SSE: no Streamable HTTP attempt first.
    expect(server.requests.some((r) => r.method === "POST" && r.url === "/sse")).toBe(false);
  });

  it("serverType: ServerType.HTTPStream reaches a Streamable HTTP server", async () => {
    const server = await startStreamServer();
    const runner = spawnRunner({ serverType: ServerType.HTTPStream, url: server.url });
    await runner.client.connect(runner.transport);
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "via mcp" } });
    expect(echoed.content).toEqual([{ type: "text", text: "via mcp" }]);
    expect(server.sessions.size).toBe(1);
  });

  it("sends transportOptions.requestInit.headers; our headers win a conflict", async () => {
    const server = await startStreamServer({ requireBearer: "s3cret" });
    const runner = spawnRunner({
      serverType: ServerType.HTTPStream,
      url: server.url,
      upstreamProtocol: "legacy",
      headers: { "X-Team": "red" },
      transportOptions: {
        requestInit: {
          headers: { Authorization: "Bearer s3cret", "X-Team": "blue", "X-Ref": "1" },
        },
        reconnectionOptions: { maxRetries: 3, initialReconnectionDelay: 50 },
      },
    });
    await runner.client.connect(runner.transport);
    await runner.client.listTools();
    const posts = server.requests.filter((r) => r.method === "POST");
    expect(posts.length).toBeGreaterThanOrEqual(3);
    for (const post of posts) {
      expect(post.headers.authorization).toBe("Bearer s3cret");
      expect(post.headers["x-ref"]).toBe("1");
      expect(post.headers["x-team"]).toBe("red");
    }
  });

  it("sends transportOptions.requestInit.headers to an SSE server, as pairs too", async () => {
    const server = await startSseServer({ requireBearer: "t0k" });
    const runner = spawnRunner({
      serverType: ServerType.SSE,
      url: server.url,
      transportOptions: { requestInit: { headers: [["authorization", "Bearer t0k"]] } },
    });
    await runner.client.connect(runner.transport);
    await runner.client.listTools();
    expect(server.requests.length).toBeGreaterThan(0);
    for (const request of server.requests) expect(request.headers.authorization).toBe("Bearer t0k");
  });

  it("takes a Headers object in process", async () => {
    const server = await startStreamServer();
    const { local } = await startFront({
      serverType: ServerType.HTTPStream,
      url: server.url,
      transportOptions: { requestInit: { headers: new Headers({ "X-Ref": "headers-object" }) } },
    });
    await local.connect();
    await local.client.ping();
    expect(server.requests.every((r) => r.headers["x-ref"] === "headers-object")).toBe(true);
  });
});

describe("options that disagree or cannot be honoured", () => {
  const url = "http://127.0.0.1:9/mcp";

  it("rejects transport and serverType that disagree", async () => {
    await expect(
      startStdioServer({ url, transport: "sse", serverType: ServerType.HTTPStream }),
    ).rejects.toThrow(
      new TypeError('transport "sse" and serverType "HTTPStream" disagree; pass one of them'),
    );
  });

  it("rejects protocol and upstreamProtocol that disagree", async () => {
    await expect(
      startStdioServer({ url, protocol: "modern", upstreamProtocol: "auto" }),
    ).rejects.toThrow(/protocol "modern" and upstreamProtocol "auto" disagree/);
  });

  it("rejects an authProvider beside bearer (both set Authorization)", async () => {
    const error = await startStdioServer({
      url,
      serverType: ServerType.HTTPStream,
      bearer: "t",
      transportOptions: {
        authProvider: { tokens: async () => undefined, saveTokens: async () => {} },
      },
      stdin: new PassThrough(),
      stdout: new PassThrough(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/Pass bearer or authProvider, not both/);
  });

  it("rejects fetch, eventSourceInit and sessionId by name", async () => {
    for (const [name, value] of [
      ["fetch", fetch],
      ["eventSourceInit", { withCredentials: true }],
      ["sessionId", "abc"],
    ] as const) {
      await expect(
        startStdioServer({ url, serverType: ServerType.SSE, transportOptions: { [name]: value } }),
      ).rejects.toThrow(new RegExp(`transportOptions\\.${name} is not supported`));
    }
  });

  it("refuses our options the SDK transport cannot take, beside SDK-only transportOptions", async () => {
    const withClient = { initStreamClient: async () => new Client({ name: "x", version: "1" }) };
    await expect(
      startStdioServer({
        url,
        ...withClient,
        sslCa: "/etc/ssl/ca.pem",
        transportOptions: { fetch },
      }),
    ).rejects.toThrow(
      /sslCa cannot be honoured: the SDK transport is used because of transportOptions\.fetch/,
    );
    await expect(
      startStdioServer({
        url,
        ...withClient,
        upstreamProtocol: "auto",
        transportOptions: { fetch },
      }),
    ).rejects.toThrow(/upstreamProtocol "auto" cannot be honoured: .*versionNegotiation/);
  });
});

describe("initStreamClient / initStdioServer (SDK objects)", () => {
  it("relays a tools/call through the given Client and a Server made for it", async () => {
    const remote = await startStreamServer();
    const upstream = new Client({ name: "mine", version: "9.9.9" });
    const { local, handle } = await startFront({
      serverType: ServerType.HTTPStream,
      url: remote.url,
      initStreamClient: async () => upstream,
    });
    // The remote was connected before startStdioServer resolved.
    expect(handle.client).toBe(upstream);
    expect(upstream.getServerVersion()?.name).toBe("echo-fixture");
    expect(handle.server).toBeInstanceOf(Server);

    await local.connect();
    expect(local.client.getServerVersion()?.name).toBe("echo-fixture");
    expect(local.client.getServerCapabilities()?.tools).toBeDefined();
    const echoed = await local.client.callTool({ name: "echo", arguments: { text: "sdk path" } });
    expect(echoed.content).toEqual([{ type: "text", text: "sdk path" }]);

    // stdin ending closes both sides; our transport DELETEs the session.
    local.stdin.end();
    await handle.closed;
    expect(remote.deleted).toHaveLength(1);
  });

  it("serves stdio with the given Server and a Client made for it, over SSE", async () => {
    const remote = await startSseServer();
    const mine = new Server(
      { name: "my-front", version: "1.0.0" },
      { capabilities: { tools: {}, logging: {} } },
    );
    const { local, handle } = await startFront({
      serverType: ServerType.SSE,
      url: remote.url,
      initStdioServer: async () => mine,
    });
    expect(handle.server).toBe(mine);
    expect(handle.client?.getServerVersion()?.name).toBe("echo-fixture");

    await local.connect();
    expect(local.client.getServerVersion()?.name).toBe("my-front");
    const added = await local.client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
    expect(added.content).toEqual([{ type: "text", text: "5" }]);

    await handle.close();
    await handle.close();
    await handle.closed;
    expect(handle.client?.transport).toBeUndefined();
  });

  it("accepts an SDK 2.x Client", async () => {
    const remote = await startStreamServer();
    const upstream = new ClientV2({ name: "v2", version: "2.0.0" });
    const { local, handle } = await startFront({
      serverType: ServerType.HTTPStream,
      url: remote.url,
      initStreamClient: async () => upstream,
    });
    expect(handle.client).toBe(upstream);
    await local.connect();
    const echoed = await local.client.callTool({ name: "echo", arguments: { text: "v2" } });
    expect(echoed.content).toEqual([{ type: "text", text: "v2" }]);
  });

  it("hands SDK-only transportOptions to the SDK transport as they are", async () => {
    const remote = await startStreamServer();
    const fetched: string[] = [];
    const counting: typeof fetch = (input, init) => {
      fetched.push(String(init?.method));
      return fetch(input, init);
    };
    const { local, handle } = await startFront({
      serverType: ServerType.HTTPStream,
      url: remote.url,
      headers: { "X-Team": "blue" },
      transportOptions: { fetch: counting, requestInit: { headers: { "X-Ref": "sdk" } } },
      initStreamClient: async () => new Client({ name: "mine", version: "1.0.0" }),
    });
    await local.connect();
    await local.client.listTools();
    expect(fetched.filter((m) => m === "POST").length).toBeGreaterThanOrEqual(3);
    const posts = remote.requests.filter((r) => r.method === "POST");
    for (const post of posts) {
      expect(post.headers["x-team"]).toBe("blue");
      expect(post.headers["x-ref"]).toBe("sdk");
    }
    await handle.close();
  });

  it("closes the Client when the start fails", async () => {
    const local = localClient();
    const upstream = new Client({ name: "mine", version: "1.0.0" });
    let closed = false;
    upstream.onclose = () => {
      closed = true;
    };
    await expect(
      startStdioServer({
        serverType: ServerType.HTTPStream,
        url: "http://127.0.0.1:9/mcp",
        connectTimeout: 2_000,
        initStreamClient: async () => upstream,
        stdin: local.stdin,
        stdout: local.stdout,
        logger: silentLogger,
      }),
    ).rejects.toThrow();
    await waitFor(() => closed);
    expect(upstream.transport).toBeUndefined();
    // Nothing was served on the local side.
    expect(local.stdout.readableLength).toBe(0);
  });
});
