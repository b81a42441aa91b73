// proxyServer with Server and Client objects from both SDK lines: v1
// (@modelcontextprotocol/sdk) and v2 (@modelcontextprotocol/server, /client),
// alone and mixed. Upstream is the real echo fixture over stdio; downstream a
// real Client of the proxy Server's line over that line's in-memory pair.
import { ECHO_SERVER } from "@mcp-proxy/test-utils";
import { Client as V2Client, InMemoryTransport as V2Memory } from "@modelcontextprotocol/client";
import { StdioClientTransport as V2Stdio } from "@modelcontextprotocol/client/stdio";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport as V1Memory } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server as V1Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  type JSONRPCMessage,
  ListToolsResultSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import {
  type ServerCapabilities as V2Capabilities,
  Server as V2Server,
} from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it } from "vitest";
import { getUpstreamBridge, proxyServer } from "../src/index.js";
import { echoChild, textOf } from "./helpers.js";

type Line = "v1" | "v2";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

const INTERACTIVE = { sampling: {}, elicitation: {} };

/** An upstream Client of `line` connected to the echo fixture over stdio. */
async function upstreamClient(line: Line): Promise<V1Client | V2Client> {
  const info = { name: `upstream-${line}`, version: "1.0.0" };
  if (line === "v1") {
    const client = new V1Client(info, { capabilities: INTERACTIVE });
    await client.connect(echoChild());
    cleanups.push(() => client.close());
    return client;
  }
  const client = new V2Client(info, { capabilities: INTERACTIVE });
  await client.connect(
    new V2Stdio({ command: process.execPath, args: [ECHO_SERVER], stderr: "ignore" }),
  );
  cleanups.push(() => client.close());
  return client;
}

/** What the tests ask of a downstream Client, whichever line it is. */
interface Downstream {
  toolNames(): Promise<string[]>;
  call(name: string, args: Record<string, unknown>, progressToken?: string): Promise<string>;
  listToolsRaw(): Promise<unknown>;
  answerSampling(reply: (prompt: string) => string): void;
  answerElicitation(content: Record<string, string>): void;
  /** Counts of notifications/message and notifications/tools/list_changed seen. */
  seen: { logs: unknown[]; toolListChanged: number };
  /** Every message the downstream transport received, in order. */
  received: JSONRPCMessage[];
  /** Ends this downstream connection: the Client, then the proxy's Server. */
  close(): Promise<void>;
}

/** The proxy Server of `line` in front of `upstream`, and a downstream Client of the same line. */
async function proxied(
  line: Line,
  upstream: V1Client | V2Client,
  alias?: "serverCapabilities",
): Promise<Downstream> {
  const capabilities = upstream.getServerCapabilities() ?? {};
  const info = { name: `proxy-${line}`, version: "1.0.0" };
  const received: JSONRPCMessage[] = [];
  const seen: Downstream["seen"] = { logs: [], toolListChanged: 0 };
  const options = alias === "serverCapabilities" ? { serverCapabilities: capabilities } : {};
  const record = (transport: { onmessage?: (message: JSONRPCMessage, extra?: never) => void }) => {
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      received.push(message);
      deliver?.(message, extra);
    };
  };

  if (line === "v1") {
    const server = new V1Server(info, { capabilities });
    await proxyServer({ server, client: upstream, ...options });
    const downstream = new V1Client(
      { name: "downstream", version: "1" },
      { capabilities: INTERACTIVE },
    );
    const [c, s] = V1Memory.createLinkedPair();
    await server.connect(s);
    await downstream.connect(c);
    const close = async () => {
      await downstream.close();
      await server.close();
    };
    cleanups.push(close);
    record(c);
    downstream.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => {
      seen.logs.push(n.params.data);
    });
    downstream.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      seen.toolListChanged++;
    });
    return {
      toolNames: async () => (await downstream.listTools()).tools.map((t) => t.name),
      listToolsRaw: () => downstream.request({ method: "tools/list" }, ListToolsResultSchema),
      call: async (name, args, progressToken) =>
        textOf(
          await downstream.callTool({
            name,
            arguments: args,
            ...(progressToken ? { _meta: { progressToken } } : {}),
          }),
        ),
      answerSampling: (reply) =>
        downstream.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
          role: "assistant",
          model: "test-model",
          content: {
            type: "text",
            text: reply((request.params.messages[0]!.content as { text: string }).text),
          },
        })),
      answerElicitation: (content) =>
        downstream.setRequestHandler(ElicitRequestSchema, async () => ({
          action: "accept",
          content,
        })),
      seen,
      received,
      close,
    };
  }

  const server = new V2Server(info, { capabilities: capabilities as V2Capabilities });
  await proxyServer({ server, client: upstream, ...options });
  const downstream = new V2Client(
    { name: "downstream", version: "1" },
    { capabilities: INTERACTIVE },
  );
  const [c, s] = V2Memory.createLinkedPair();
  await server.connect(s);
  await downstream.connect(c);
  const close = async () => {
    await downstream.close();
    await server.close();
  };
  cleanups.push(close);
  record(c);
  downstream.setNotificationHandler("notifications/message", (n) => {
    seen.logs.push(n.params.data);
  });
  downstream.setNotificationHandler("notifications/tools/list_changed", () => {
    seen.toolListChanged++;
  });
  return {
    toolNames: async () => (await downstream.listTools()).tools.map((t) => t.name),
    listToolsRaw: () => downstream.request({ method: "tools/list" }),
    call: async (name, args, progressToken) =>
      textOf(
        await downstream.callTool({
          name,
          arguments: args,
          ...(progressToken ? { _meta: { progressToken } } : {}),
        }),
      ),
    answerSampling: (reply) =>
      downstream.setRequestHandler("sampling/createMessage", async (request) => ({
        role: "assistant",
        model: "test-model",
        content: {
          type: "text",
          text: reply((request.params.messages[0]!.content as { text: string }).text),
        },
      })),
    answerElicitation: (content) =>
      downstream.setRequestHandler("elicitation/create", async () => ({
        action: "accept",
        content,
      })),
    seen,
    received,
    close,
  };
}

function progressSeen(received: JSONRPCMessage[]): Array<[unknown, unknown]> {
  return received
    .filter((m) => "method" in m && m.method === "notifications/progress")
    .map((m) => {
      const params = (m as unknown as { params: { progressToken: unknown; progress: unknown } })
        .params;
      return [params.progressToken, params.progress];
    });
}

// [proxy Server line, upstream Client line]
const PAIRS: Array<[Line, Line]> = [
  ["v2", "v2"],
  ["v1", "v2"],
  ["v2", "v1"],
];

describe.each(PAIRS)("proxyServer: %s Server, %s Client", (serverLine, clientLine) => {
  it("lists and calls tools, relaying progress with the caller's token", async () => {
    const downstream = await proxied(serverLine, await upstreamClient(clientLine));
    expect(await downstream.toolNames()).toEqual(expect.arrayContaining(["echo", "slow"]));
    expect(await downstream.call("echo", { text: "via proxy" })).toBe("via proxy");
    expect(await downstream.call("slow", { ms: 30, steps: 2 }, "caller-token")).toBe(
      "done after 30ms",
    );
    expect(progressSeen(downstream.received)).toEqual([
      ["caller-token", 1],
      ["caller-token", 2],
    ]);
  });

  it("relays the upstream's sampling and elicitation requests back downstream", async () => {
    const downstream = await proxied(serverLine, await upstreamClient(clientLine));
    downstream.answerSampling((prompt) => `reply to ${prompt}`);
    downstream.answerElicitation({ name: "Ada" });
    expect(await downstream.call("sample", { prompt: "hi" })).toBe("sampled: reply to hi");
    expect(await downstream.call("elicit", {})).toBe('elicited: accept {"name":"Ada"}');
  });

  it("relays the upstream's notifications", async () => {
    const downstream = await proxied(serverLine, await upstreamClient(clientLine));
    await downstream.call("notify", {});
    // A request after the notifications: by its answer, they have been read.
    await downstream.call("echo", { text: "after" });
    expect(downstream.seen.logs).toEqual(["hello from fixture"]);
    expect(downstream.seen.toolListChanged).toBe(1);
  });
});

describe("proxyServer options", () => {
  it("accepts serverCapabilities as the reference's name for capabilities", async () => {
    const upstream = await upstreamClient("v2");
    const server = new V2Server({ name: "p", version: "1" }, { capabilities: { resources: {} } });
    const caps = { resources: {} };
    const done: Promise<void> = proxyServer({ server, client: upstream, serverCapabilities: caps });
    await expect(done).resolves.toBeUndefined();
    const downstream = new V2Client({ name: "d", version: "1" });
    const [c, s] = V2Memory.createLinkedPair();
    await server.connect(s);
    await downstream.connect(c);
    cleanups.push(() => downstream.close());
    await expect(downstream.request({ method: "tools/list" })).rejects.toThrow(/Method not found/);
    expect((await downstream.listResources()).resources.length).toBeGreaterThan(0);
  });

  it("takes both names for the same object, and refuses two different ones", async () => {
    const upstream = await upstreamClient("v1");
    const caps = { tools: {} };
    const server = new V1Server({ name: "p", version: "1" }, { capabilities: caps });
    expect(() =>
      proxyServer({ server, client: upstream, capabilities: caps, serverCapabilities: caps }),
    ).not.toThrow();
    expect(() =>
      proxyServer({
        server,
        client: upstream,
        capabilities: caps,
        serverCapabilities: { tools: {} },
      }),
    ).toThrow(TypeError);
  });

  it("refuses what is not an SDK Server or Client", async () => {
    const upstream = await upstreamClient("v1");
    expect(() => proxyServer({ server: {} as never, client: upstream })).toThrow(
      /not an MCP SDK Server .*missing request, notification/,
    );
  });
});

describe.each(["v1", "v2"] as const)("proxyServer sharing a %s Client", (line) => {
  it.each(["bridge first", "proxy first"] as const)(
    "leaves getUpstreamBridge its notifications (%s)",
    async (order) => {
      const upstream = await upstreamClient(line);
      let bridged = 0;
      const listen = () =>
        getUpstreamBridge({ client: upstream }).subscribe({
          toolsListChanged: () => {
            bridged++;
          },
        });
      if (order === "bridge first") listen();
      const downstream = await proxied(line, upstream);
      if (order === "proxy first") listen();
      await downstream.call("notify", {});
      await downstream.call("echo", { text: "after" });
      expect(downstream.seen.toolListChanged).toBe(1);
      expect(bridged).toBe(1);
      await getUpstreamBridge({ client: upstream }).close();
    },
  );

  it("serves a downstream connection per proxyServer, and forgets one that closed", async () => {
    const upstream = await upstreamClient(line);
    const errors: Error[] = [];
    upstream.onerror = (error) => errors.push(error);
    const first = await proxied(line, upstream);
    const second = await proxied(line, upstream);

    await first.call("notify", {});
    await second.call("echo", { text: "after" });
    expect([first.seen.toolListChanged, second.seen.toolListChanged]).toEqual([1, 1]);

    await first.close();
    await second.call("notify", {});
    expect(await second.call("slow", { ms: 10, steps: 1 }, "second-token")).toBe("done after 10ms");
    expect(second.seen.toolListChanged).toBe(2);
    expect(progressSeen(second.received)).toEqual([["second-token", 1]]);
    expect(errors).toEqual([]);
  });
});
