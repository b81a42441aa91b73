// The "Done when", from outside: three replicas of the built binary
// with --cluster on a real redis-server, behind a real HAProxy balancing round
// robin with its default health check (HTTP/1.0, no Host header). No sticky
// sessions: each request lands wherever HAProxy sends it.
import {
  ECHO_SERVER,
  startHaproxy,
  startRedis,
  type TestHaproxy,
  type TestRedis,
  waitFor,
} from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanup,
  INITIALIZE_BODY,
  postMcp,
  postModernCall,
  type RunningBin,
  runBin,
  startProxy,
  textOf,
} from "./helpers.js";

const SECRET = "cli-cluster-test-secret-42";

type Replica = RunningBin & { url: string; id: string };

let redis: TestRedis;
let balancer: TestHaproxy;
const replicas: Replica[] = [];

async function startReplica(): Promise<Replica> {
  const proxy = await startProxy(
    [
      "--host",
      "127.0.0.1",
      "--cluster",
      redis.url,
      "--gracefulShutdownTimeout",
      "4000",
      "--metrics",
      "--",
      process.execPath,
      ECHO_SERVER,
    ],
    { env: { MCP_PROXY_CLUSTER_SECRET: SECRET } },
  );
  const id = /cluster: +replica (\S+) at /.exec(proxy.stderr())?.[1];
  if (!id) throw new Error(`no cluster line:\n${proxy.stderr()}`);
  return { ...proxy, id };
}

/** A fetch that records each answer's Via header (which replicas a forwarded request passed). */
function recordingFetch(): { fetch: typeof fetch; via: string[] } {
  const via: string[] = [];
  return {
    via,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      via.push(res.headers.get("via") ?? "");
      return res;
    },
  };
}

/** The replica ids named in Via headers: the replicas requests landed on and were sent on from. */
const forwardedFrom = (via: string[]) =>
  new Set(via.flatMap((v) => [...v.matchAll(/mcp-proxy-(\S+)/g)].map((m) => m[1] as string)));

async function connectThroughBalancer(kind: "stream" | "sse") {
  const recorded = recordingFetch();
  const client = new Client({ name: "balanced", version: "1.0.0" });
  const transport =
    kind === "stream"
      ? new StreamableHTTPClientTransport(new URL(`${balancer.url}/mcp`), { fetch: recorded.fetch })
      : new SSEClientTransport(new URL(`${balancer.url}/sse`), { fetch: recorded.fetch });
  await client.connect(transport);
  const sessionId = () => (transport as { sessionId?: string }).sessionId as string;
  return { client, sessionId, via: recorded.via };
}

beforeAll(async () => {
  redis = await startRedis();
  for (let i = 0; i < 3; i++) replicas.push(await startReplica());
  balancer = await startHaproxy({
    backends: replicas.map((r, i) => ({ name: `r${i}`, url: r.url })),
  });
  await balancer.waitUntil({ r0: "UP", r1: "UP", r2: "UP" }, 15_000);
}, 60_000);

afterAll(async () => {
  await cleanup();
  await balancer?.stop();
  await redis?.stop();
});

describe("three replicas behind HAProxy round robin, joined through Redis", () => {
  it("serves a 2025 session whose consecutive calls land on every replica", async () => {
    const before = await balancer.requestCounts();
    const { client, sessionId, via } = await connectThroughBalancer("stream");
    const owner = sessionId().split(".")[0];
    expect(replicas.map((r) => r.id)).toContain(owner);
    for (let i = 0; i < 9; i++) {
      const result = await client.callTool({ name: "echo", arguments: { text: `call ${i}` } });
      expect(textOf(result)).toBe(`call ${i}`);
    }
    // HAProxy spread the session's requests over all three replicas...
    const after = await balancer.requestCounts();
    for (const name of ["r0", "r1", "r2"]) {
      expect((after[name] ?? 0) - (before[name] ?? 0)).toBeGreaterThanOrEqual(3);
    }
    // ...and the two that do not own it sent theirs on to the one that does.
    const others = replicas.filter((r) => r.id !== owner).map((r) => r.id);
    expect([...forwardedFrom(via)].sort()).toEqual(others.sort());
    // Their metrics say so.
    for (const replica of replicas.filter((r) => r.id !== owner)) {
      const text = await (await fetch(`${replica.url}/metrics`)).text();
      const sent = /^mcp_proxy_forwarded_requests_total\{status="200"\} (\d+)$/m.exec(text);
      expect(Number(sent?.[1])).toBeGreaterThanOrEqual(1);
    }
    await client.close();
  });

  it("serves a legacy SSE session whose message POSTs land on other replicas", async () => {
    const { client, via } = await connectThroughBalancer("sse");
    for (let i = 0; i < 6; i++) {
      const result = await client.callTool({ name: "echo", arguments: { text: `sse ${i}` } });
      expect(textOf(result)).toBe(`sse ${i}`);
    }
    // The stream lives on one replica; POSTs that HAProxy gave the others were forwarded to it.
    expect(forwardedFrom(via).size).toBeGreaterThanOrEqual(1);
    await client.close();
  });

  it("completes 2026-07-28 sampling rounds whose retry lands on another replica", async () => {
    const recorded = recordingFetch();
    const capabilities = { sampling: {} };
    const post = async (
      id: number,
      params: { name: string; arguments: Record<string, unknown> } & Record<string, unknown>,
    ) => {
      const res = await postModernCall(balancer.url, id, params, capabilities, recorded.fetch);
      expect(res.status).toBe(200);
      const text = await res.text();
      const data = text.includes("data:")
        ? (
            text
              .split("\n")
              .filter((l) => l.startsWith("data:"))
              .at(-1) as string
          ).slice(5)
        : text;
      return JSON.parse(data).result as Record<string, unknown>;
    };
    // Round robin: with three replicas a retry never lands where its round was parked.
    for (let round = 0; round < 3; round++) {
      const args = { name: "sample", arguments: { prompt: `round ${round}` } };
      const first = await post(round * 2 + 1, args);
      expect(first.resultType).toBe("input_required");
      const [key] = Object.keys(first.inputRequests as object);
      const final = await post(round * 2 + 2, {
        ...args,
        requestState: first.requestState,
        inputResponses: {
          [key as string]: {
            role: "assistant",
            content: { type: "text", text: `answer ${round}` },
            model: "m",
          },
        },
      });
      expect(final).toMatchObject({ content: [{ text: `sampled: answer ${round}` }] });
    }
    // Every retry was sent on from where it landed.
    expect(recorded.via.filter((v, i) => i % 2 === 1 && v.includes("mcp-proxy-")).length).toBe(3);
  });

  it("keeps serving new sessions after a replica stops, and uses a replica that joins", async () => {
    const stopped = replicas[1] as Replica;
    // A live session on the replica about to stop (round robin: one of three new sessions).
    let doomed: string | undefined;
    for (let i = 0; i < 6 && !doomed; i++) {
      const res = await postMcp(balancer.url, INITIALIZE_BODY);
      await res.text();
      const id = res.headers.get("mcp-session-id") as string;
      if (id.startsWith(`${stopped.id}.`)) doomed = id;
    }
    expect(doomed).toBeDefined();
    stopped.proc.kill("SIGTERM");
    await stopped.exited;
    await balancer.waitUntil({ r0: "UP", r1: "DOWN", r2: "UP" }, 15_000);
    for (let i = 0; i < 4; i++) {
      const { client, sessionId } = await connectThroughBalancer("stream");
      expect(sessionId().startsWith(`${stopped.id}.`)).toBe(false);
      const result = await client.callTool({ name: "echo", arguments: { text: `after ${i}` } });
      expect(textOf(result)).toBe(`after ${i}`);
      await client.close();
    }
    // Its session is gone with it: 404 from whichever replica gets it, so the client re-initialises.
    for (let i = 0; i < 3; i++) {
      const res = await postMcp(
        balancer.url,
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
        { "mcp-session-id": doomed as string, "mcp-protocol-version": "2025-06-18" },
      );
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({
        error: { message: expect.stringMatching(/unknown or expired session/) },
      });
    }

    const joined = await startReplica();
    replicas.push(joined);
    await balancer.enableServer("r3", joined.url);
    await balancer.waitUntil({ r0: "UP", r2: "UP", r3: "UP" }, 15_000);
    const owners = new Set<string>();
    await waitFor(async () => {
      const { client, sessionId } = await connectThroughBalancer("stream");
      owners.add(sessionId().split(".")[0] as string);
      await client.callTool({ name: "echo", arguments: { text: "joined" } });
      await client.close();
      return owners.has(joined.id);
    }, 20_000);
  });
});

describe("--cluster without a Redis to reach", () => {
  it("exits at once with the reason instead of serving alone", async () => {
    const result = await runBin(
      ["--port", "0", "--cluster", "redis://127.0.0.1:1", "--", process.execPath, ECHO_SERVER],
      { env: { MCP_PROXY_CLUSTER_SECRET: SECRET } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/could not join the cluster, its registry cannot be reached/);
    expect(result.stderr).not.toContain(SECRET);
  });
});
