// The official 2026-07-28 conformance set through the whole chain a desktop
// user builds: the suite → mcp-proxy (http-server) → `mcp-proxy stdio` (the
// stdio front, as the proxy's child) → mcp-proxy → the conformance fixture.
// Every scored scenario that passes against the last hop directly must pass
// through the chain too: none is lost to the 2025 hop, since the stdio front
// tells a 2025 local client the input keys the server chose and the first
// proxy declares upstream exactly the capabilities each request declared.
import {
  CONFORMANCE_SERVER,
  type ConformanceResult,
  failingAgain,
  runConformance,
} from "@mcp-proxy/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cleanup, startProxy } from "./helpers.js";

/** A requirement set takes ~10-40 s on a loaded 2-core machine; both runs must fit. */
const RUN_TIMEOUT_MS = 120_000;
/** The whole case: both runs, and a second try of what failed. */
const CASE_TIMEOUT_MS = RUN_TIMEOUT_MS + 60_000;

let direct: string;

beforeAll(async () => {
  const last = await startProxy([
    "--host",
    "127.0.0.1",
    "--",
    process.execPath,
    CONFORMANCE_SERVER,
  ]);
  direct = `${last.url}/mcp`;
});

afterAll(cleanup);

function scoredPassed(result: ConformanceResult): Set<string> {
  const skip = new Set(result.notScored);
  return new Set(result.passed.filter((s) => !skip.has(s)));
}

function report(result: ConformanceResult): string {
  return result.failed.map((f) => `${f.scenario}: ${f.detail}`).join("\n");
}

describe("the 2026-07-28 conformance set through http-server → stdio front → http-server", () => {
  it.each<[string, string[]]>([
    ["a 2025 hop (--upstreamProtocol legacy)", []],
    ["2026-07-28 end to end (--upstreamProtocol auto)", ["--upstreamProtocol", "auto"]],
  ])(
    "passes what the last hop passes directly, with %s",
    async (_name, flags) => {
      const first = await startProxy([
        "--host",
        "127.0.0.1",
        ...flags,
        "--",
        process.execPath,
        BIN,
        "stdio",
        direct,
      ]);
      const baseline = await runConformance({
        url: direct,
        requirements: "2026-07-28",
        timeoutMs: RUN_TIMEOUT_MS / 2 - 5_000,
      });
      const chained = await runConformance({
        url: `${first.url}/mcp`,
        requirements: "2026-07-28",
        timeoutMs: RUN_TIMEOUT_MS / 2 - 5_000,
      });
      expect(baseline.timedOut).toBe(false);
      expect(chained.timedOut).toBe(false);
      const expected = [...scoredPassed(baseline)];
      expect(expected.length).toBeGreaterThan(20);
      const passed = scoredPassed(chained);
      // A scenario that failed is tried once more on its own (see failingAgain: a cold start at
      // each hop can outlast a check's 600 ms on a loaded machine).
      const missed = await failingAgain(
        { url: `${first.url}/mcp`, requirements: "2026-07-28" },
        expected.filter((s) => !passed.has(s)),
      );
      expect(missed, report(chained)).toEqual([]);
    },
    CASE_TIMEOUT_MS,
  );
});
