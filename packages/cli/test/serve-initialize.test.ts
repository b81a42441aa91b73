// A server that never answers initialize: the client gets an error, the child
// is ended at once (not at the session timeout), and the proxy stays up.
import { isAlive, waitFor } from "@mcp-proxy/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, INITIALIZE_BODY, postMcp, startProxy } from "./helpers.js";

afterEach(cleanup);

const SILENT_CHILD = ["--", "node", "-e", "setInterval(() => {}, 1000)"];

/** True once /health reports no child running (per-session count, or the shared child down). */
async function noChild(url: string): Promise<boolean> {
  const health = (await (await fetch(`${url}/health`)).json()) as {
    detail?: { children?: number; upstream?: string };
  };
  const detail = health.detail ?? {};
  return detail.children === 0 || (detail.upstream !== undefined && detail.upstream !== "up");
}

describe("a server that never answers initialize", () => {
  it.each([
    ["stateful", [] as string[]],
    ["stateless", ["--stateless"]],
  ])(
    "%s: answers each initialize with an error, ends its child and keeps serving",
    async (_name, flags) => {
      const proxy = await startProxy(["--connectionTimeout", "300", ...flags, ...SILENT_CHILD]);
      for (let i = 0; i < 2; i++) {
        const res = await postMcp(proxy.url, INITIALIZE_BODY);
        const text = await res.text();
        expect(text).toMatch(/initialize/);
        expect(text).toMatch(/-32001|did not answer|timed out/);
        await waitFor(() => noChild(proxy.url), 8000);
      }
      // Still up: nothing crashed on the failed initialize.
      expect(proxy.proc.exitCode).toBeNull();
      expect((await fetch(`${proxy.url}/ping`)).status).toBe(200);
      expect(proxy.stderr()).not.toMatch(/Unhandled|at async|at #start/);
      expect(isAlive(proxy.proc.pid as number)).toBe(true);
    },
  );
});
