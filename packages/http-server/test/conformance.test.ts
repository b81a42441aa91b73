// The official conformance suite, both requirement sets, against one endpoint:
// startHTTPServer bridging to the stdio conformance fixture. 2025-era and
// 2026-07-28 clients are told apart per POST, so one server serves both runs,
// in stateful mode (at once) and in stateless mode (2026 first, then 2025: the
// order in which leftovers of one era would break the other's attribution).
import { ChildProcessTransport } from "@mcp-proxy/core";
import {
  CONFORMANCE_SERVER,
  type ConformanceResult,
  type ConformanceRevision,
  conformanceRequirements,
  failingAgain,
  runConformance,
} from "@mcp-proxy/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HTTPServerHandle, startHTTPServer } from "../src/index.js";

/** A whole requirement set takes ~20-40 s; the bound is generous for loaded machines. */
const RUN_TIMEOUT_MS = 150_000;

let handle: HTTPServerHandle;
let statelessHandle: HTTPServerHandle;

function startFixtureProxy(stateless: boolean): Promise<HTTPServerHandle> {
  return startHTTPServer({
    port: 0,
    host: "127.0.0.1",
    stateless,
    createUpstream: () =>
      new ChildProcessTransport({
        command: process.execPath,
        args: [CONFORMANCE_SERVER],
        stderr: "ignore",
      }),
  });
}

beforeAll(async () => {
  handle = await startFixtureProxy(false);
  statelessHandle = await startFixtureProxy(true);
});

afterAll(async () => {
  await handle?.close();
  await statelessHandle?.close();
});

function scored(result: ConformanceResult): { passed: string[]; failed: string[] } {
  const skip = new Set(result.notScored);
  return {
    passed: result.passed.filter((s) => !skip.has(s)),
    failed: result.failed.filter((f) => !skip.has(f.scenario)).map((f) => f.scenario),
  };
}

async function run(
  requirements: ConformanceRevision,
  server: HTTPServerHandle = handle,
): Promise<ConformanceResult> {
  const result = await runConformance({
    url: `${server.url}/mcp`,
    requirements,
    timeoutMs: RUN_TIMEOUT_MS - 10_000,
  });
  if (process.env.CONFORMANCE_REPORT) {
    console.error(
      JSON.stringify(
        {
          requirements,
          passed: result.passed,
          failed: result.failed,
          notScored: result.notScored,
          timedOut: result.timedOut,
        },
        null,
        2,
      ),
    );
  }
  return result;
}

describe("conformance suite through the proxy", () => {
  it.concurrent.each<ConformanceRevision>(["2025-11-25", "2026-07-28"])(
    "passes every scored %s scenario",
    async (requirements) => {
      const result = await run(requirements);
      expect(result.timedOut).toBe(false);
      const { passed, failed } = scored(result);
      // What failed gets one more try on its own (see failingAgain).
      const still = await failingAgain({ url: `${handle.url}/mcp`, requirements }, failed);
      expect(still, result.failed.map((f) => `${f.scenario}: ${f.detail}`).join("\n")).toEqual([]);
      const { required } = await conformanceRequirements(requirements);
      expect(required.length).toBeGreaterThan(20);
      expect([...passed, ...failed]).toEqual(expect.arrayContaining(required));
      if (requirements === "2026-07-28") {
        // Not scored, but our fixture's x-mcp-header tool makes it run for real: keep it passing.
        expect(result.passed).toContain("http-custom-header-server-validation");
      }
    },
    RUN_TIMEOUT_MS,
  );
});

describe("conformance suite through the proxy in stateless mode", () => {
  it(
    "passes every scored scenario of 2026-07-28, then of 2025-11-25, on one server",
    async () => {
      for (const requirements of ["2026-07-28", "2025-11-25"] as const) {
        const result = await run(requirements, statelessHandle);
        expect(result.timedOut).toBe(false);
        const { failed } = scored(result);
        const still = await failingAgain(
          { url: `${statelessHandle.url}/mcp`, requirements },
          failed,
        );
        expect(
          still,
          `${requirements}: ${result.failed.map((f) => `${f.scenario}: ${f.detail}`).join("\n")}`,
        ).toEqual([]);
      }
    },
    2 * RUN_TIMEOUT_MS,
  );
});
