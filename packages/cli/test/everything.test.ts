// server-everything (a real 2025-era stdio server on SDK v1) behind the built
// proxy, driven by the official clients of both eras. The proxy translates for
// 2026-07-28 clients; what they get must be what a 2025 client declaring the
// same capabilities gets, interactive calls included.
import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Capability,
  closeClients,
  connectEra,
  connectV2,
  connectV2Stdio,
  type Era,
  type EraClient,
  MODERN,
  PROFILES,
  type Profile,
  type Progress,
  resultText,
  rootUri,
  sampledText,
} from "./era-clients.js";
import { cleanup, type RunningBin, spawnBin, startProxy } from "./helpers.js";

const EVERYTHING = createRequire(import.meta.url).resolve(
  "@modelcontextprotocol/server-everything/dist/index.js",
);

afterEach(async () => {
  // Clients first, so no request is left hanging on a proxy that is going away.
  await closeClients();
  await cleanup();
});

/** A fresh proxy in front of server-everything; resolves once it has printed its URLs. */
async function startEverything(flags: readonly string[] = []): Promise<{ mcp: string }> {
  const proxy = await startProxy([
    "--host",
    "127.0.0.1",
    ...flags,
    "--",
    process.execPath,
    EVERYTHING,
    "stdio",
  ]);
  return { mcp: `${proxy.url}/mcp` };
}

/** The proxy's modes these cases run in: a child per session, or sessions sharing children. */
const MODES: [string, string[]][] = [
  ["stateful", []],
  ["--shared", ["--shared"]],
];

const PROFILE_NAMES = Object.keys(PROFILES) as Profile[];
const ERAS_2025 = ["v1-2025", "v2-2025"] as const satisfies readonly Era[];

// server-everything registers these tools only for a client that declared the capability.
const TOOL_OF: Record<Capability, string> = {
  sampling: "trigger-sampling-request",
  roots: "get-roots-list",
  elicitation: "trigger-elicitation-request",
};

const sorted = (names: string[]): string[] => [...names].sort();

describe("the first call of a 2026-07-28 client on a fresh proxy", () => {
  // What a client that discovered this server earlier holds: with it, connect sends
  // nothing and the tool call is the very first message the proxy receives.
  const cachedDiscover = { supportedVersions: [MODERN], capabilities: { tools: {} } };

  describe.each([
    ["after server/discover at connect", {}],
    ["with a cached discover result", { cachedDiscover }],
  ])("%s", (_, connectOptions) => {
    it.each(["none", "full"] as const)(
      "trigger-long-running-operation succeeds with progress (capabilities: %s)",
      async (profile) => {
        const { mcp } = await startEverything();
        const client = await connectV2(mcp, "v2-2026", PROFILES[profile], "first", connectOptions);
        const progress: Progress[] = [];
        const result = await client.call(
          "trigger-long-running-operation",
          { duration: 1, steps: 3 },
          (update) => progress.push(update),
        );
        expect(result.isError ?? false).toBe(false);
        expect(resultText(result)).toContain("Long running operation completed");
        // The server's progress only: the v2 client reports each input round as progress
        // with a message, and with roots declared server-everything's own roots/list,
        // 350 ms after initialization, may land in this call as one.
        expect(progress.filter((update) => update.message === undefined)).toEqual([
          { progress: 1, total: 3 },
          { progress: 2, total: 3 },
          { progress: 3, total: 3 },
        ]);
      },
    );
  });
});

describe("interactive round trips", () => {
  it.each(["v2-2026", "v1-2025", "v2-2025"] as const)(
    "trigger-sampling-request returns the %s client's sampling answer",
    async (era) => {
      const { mcp } = await startEverything();
      const client = await connectEra(mcp, era, PROFILES.sampling, "solo");
      const result = await client.call("trigger-sampling-request", { prompt: "hi", maxTokens: 5 });
      expect(result.isError ?? false).toBe(false);
      expect(resultText(result)).toContain(sampledText("solo"));
    },
  );

  it.each(["v2-2026", "v1-2025"] as const)(
    "trigger-elicitation-request returns the %s client's elicitation answer",
    async (era) => {
      const { mcp } = await startEverything();
      const client = await connectEra(mcp, era, PROFILES.full, "solo");
      const result = await client.call("trigger-elicitation-request", {});
      expect(result.isError ?? false).toBe(false);
      expect(resultText(result)).toContain("- Name: solo");
    },
  );

  it("get-roots-list returns the v1 client's roots", async () => {
    // The baseline for 2025 sessions: server-everything asks for roots 350 ms after
    // initialization and again, if it has none yet, when the tool runs.
    const { mcp } = await startEverything();
    const client = await connectEra(mcp, "v1-2025", PROFILES.full, "solo");
    const result = await client.call("get-roots-list", {});
    expect(resultText(result)).toContain(rootUri("solo"));
  });
});

describe.each(MODES)("proxy mode %s", (_, flags) => {
  describe("tools/list is the same in both eras", () => {
    it.each(PROFILE_NAMES)("for capabilities %s", async (profile) => {
      const { mcp } = await startEverything(flags);
      // The 2026-07-28 client first: on a fresh proxy nothing has set up a child before it.
      const modern = sorted(
        await (await connectEra(mcp, "v2-2026", PROFILES[profile], "m")).toolNames(),
      );
      for (const era of ERAS_2025) {
        const legacy = sorted(
          await (await connectEra(mcp, era, PROFILES[profile], era)).toolNames(),
        );
        expect(modern, `v2-2026 against ${era}`).toEqual(legacy);
      }
      for (const [capability, tool] of Object.entries(TOOL_OF))
        expect(modern.includes(tool), `${tool} listed`).toBe(
          (PROFILES[profile] as readonly string[]).includes(capability),
        );
    });

    it("for every capability set on one proxy, and differs between none and full", async () => {
      const { mcp } = await startEverything(flags);
      const lists = new Map<Profile, string[]>();
      // Interleaved eras and profiles: each profile must get its own view of the server.
      for (const profile of ["none", "full", "sampling"] as const) {
        const modern = sorted(
          await (await connectEra(mcp, "v2-2026", PROFILES[profile], "m")).toolNames(),
        );
        const legacy = sorted(
          await (await connectEra(mcp, "v1-2025", PROFILES[profile], "l")).toolNames(),
        );
        expect(modern, `v2-2026 against v1-2025 for ${profile}`).toEqual(legacy);
        lists.set(profile, modern);
      }
      expect(lists.get("none")).not.toEqual(lists.get("full"));
      expect(lists.get("full")).toEqual(expect.arrayContaining(Object.values(TOOL_OF)));
    });
  });

  describe("8 concurrent interactive calls from clients of both eras", () => {
    const profile = ["sampling", "elicitation"] as const;

    /** Connects 4 clients pinned to 2026-07-28 and 4 v1 (2025) ones, each with a distinct tag. */
    function eightClients(mcp: string): Promise<EraClient[]> {
      const eras = Array.from({ length: 8 }, (_, i): Era => (i % 2 ? "v1-2025" : "v2-2026"));
      return Promise.all(eras.map((era, i) => connectEra(mcp, era, profile, `${era}#${i}`)));
    }

    /**
     * Runs every client's call at once and describes each outcome: "ok" when the
     * result carries that client's own answer and no other client's.
     */
    async function outcomes(
      clients: EraClient[],
      callOf: (client: EraClient, i: number) => { tool: string; expected: string },
    ): Promise<string[]> {
      const calls = clients.map((client, i) => {
        const { tool, expected } = callOf(client, i);
        return {
          client,
          expected,
          result: client.call(tool, tool === TOOL_OF.sampling ? { prompt: client.tag } : {}),
        };
      });
      const settled = await Promise.allSettled(calls.map((call) => call.result));
      return settled.map((outcome, i) => {
        const { client, expected } = calls[i]!;
        const asked = `(its handlers asked: ${client.asked.join(", ") || "none"})`;
        if (outcome.status === "rejected")
          return `${client.tag}: failed: ${(outcome.reason as Error).message} ${asked}`;
        const text = resultText(outcome.value);
        const foreign = clients.filter((other) => other !== client && text.includes(other.tag));
        if (outcome.value.isError) return `${client.tag}: tool error: ${text} ${asked}`;
        if (!text.includes(expected)) return `${client.tag}: own answer missing: ${text} ${asked}`;
        if (foreign.length) return `${client.tag}: answered by ${foreign.map((c) => c.tag)}`;
        return "ok";
      });
    }

    it("all sampling: each gets its own handler's answer", async () => {
      const { mcp } = await startEverything(flags);
      const clients = await eightClients(mcp);
      const results = await outcomes(clients, (client) => ({
        tool: TOOL_OF.sampling,
        expected: sampledText(client.tag),
      }));
      expect(results).toEqual(clients.map(() => "ok"));
    });

    it("sampling and elicitation mixed: each gets its own handler's answer", async () => {
      const { mcp } = await startEverything(flags);
      const clients = await eightClients(mcp);
      // Pairs of eras alternate tools, so each era runs both kinds at once.
      const results = await outcomes(clients, (client, i) =>
        Math.floor(i / 2) % 2 === 0
          ? { tool: TOOL_OF.sampling, expected: sampledText(client.tag) }
          : { tool: TOOL_OF.elicitation, expected: `- Name: ${client.tag}` },
      );
      expect(results).toEqual(clients.map(() => "ok"));
    });
  });
});

interface LineRequest {
  jsonrpc: "2.0";
  id: number;
  method: string;
  params?: Record<string, unknown>;
}

/** Writes one JSON-RPC line to a stdio process and resolves with the response that has its id. */
function exchangeLine(bin: RunningBin, request: LineRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        let message: { id?: unknown };
        try {
          message = JSON.parse(line);
        } catch {
          // Stdout belongs to the protocol: anything else there is a failure of its own.
          reject(new Error(`not a JSON-RPC line on stdout: ${line}`));
          return;
        }
        if (message.id === request.id) {
          bin.proc.stdout!.off("data", onData);
          resolve(message);
        }
      }
    };
    bin.proc.stdout!.on("data", onData);
    void bin.exited.then(() => reject(new Error(`mcp-proxy stdio exited:\n${bin.stderr()}`)));
    bin.proc.stdin!.write(`${JSON.stringify(request)}\n`);
  });
}

describe("a 2026-07-28 client on mcp-proxy stdio, in front of the proxy", () => {
  it("the v2 client's stdio transport calls echo and gets its result", async () => {
    const { mcp } = await startEverything();
    const client = await connectV2Stdio(mcp, "stdio");
    const result = await client.call("echo", { message: "through two proxies" });
    expect(resultText(result)).toBe("Echo: through two proxies");
  });

  it("a raw tools/call line, with nothing before it, gets its result", async () => {
    const { mcp } = await startEverything();
    const stdio = spawnBin(["stdio", mcp]);
    const response = await exchangeLine(stdio, {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name: "echo",
        arguments: { message: "raw" },
        _meta: {
          "io.modelcontextprotocol/protocolVersion": MODERN,
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "raw-stdio", version: "1.0.0" },
        },
      },
    });
    expect((response as { error?: unknown }).error, "error response").toBeUndefined();
    expect(response).toMatchObject({
      id: 1,
      result: { resultType: "complete", content: [{ type: "text", text: "Echo: raw" }] },
    });
  });
});
