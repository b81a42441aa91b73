import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ECHO_SERVER, isAlive, waitFor } from "@mcp-proxy/test-utils";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, connectClient, startProxy, tempDir, textOf } from "./helpers.js";

afterEach(cleanup);

describe("timeouts, restarts and logs", () => {
  it("--requestTimeout answers a hung request with an error", async () => {
    const proxy = await startProxy(["--requestTimeout", "300", "--", "node", ECHO_SERVER]);
    const client = await connectClient(`${proxy.url}/mcp`);
    await expect(
      client.callTool({ name: "slow", arguments: { ms: 5000, steps: 1 } }),
    ).rejects.toThrow(/did not answer tools\/call within 300 ms/);
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "still fine" } }))).toBe(
      "still fine",
    );
  });

  it("--restart on-failure brings the shared child back", async () => {
    const proxy = await startProxy([
      "--stateless",
      "--restart",
      "on-failure",
      "--",
      "node",
      ECHO_SERVER,
    ]);
    const client = await connectClient(`${proxy.url}/mcp`);
    const first = JSON.parse(textOf(await client.callTool({ name: "pid", arguments: {} }))).pid;
    await client.callTool({ name: "exit", arguments: { code: 4 } }).catch(() => undefined);
    await waitFor(() => proxy.stderr().includes("restarting it in"), 5000);
    let second: number | undefined;
    await waitFor(async () => {
      try {
        second = JSON.parse(textOf(await client.callTool({ name: "pid", arguments: {} }))).pid;
        return true;
      } catch {
        return false;
      }
    }, 10_000);
    expect(second).not.toBe(first);
    expect(proxy.proc.exitCode).toBeNull();
  });

  it("--log-file writes JSON Lines of the traffic; --debug prints it on stderr", async () => {
    const file = join(tempDir("mcp-proxy-log-"), "traffic.jsonl");
    const proxy = await startProxy(["--log-file", file, "--debug", "--", "node", ECHO_SERVER]);
    expect(proxy.stderr()).toContain(`traffic log:     ${file}`);
    const client = await connectClient(`${proxy.url}/mcp`);
    await client.callTool({ name: "echo", arguments: { text: "logged" } });
    await waitFor(() => proxy.stderr().includes("tools/call"), 5000);
    await waitFor(() => readFileSync(file, "utf8").includes('"tools/call"'), 5000);
    const methods = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { message?: { method?: string } }).message?.method);
    expect(methods).toEqual(expect.arrayContaining(["initialize", "tools/call"]));
  });
});

describe("children follow their sessions", () => {
  it("DELETE of a Streamable HTTP session and the end of an SSE stream kill that session's child", async () => {
    const proxy = await startProxy(["--", "node", ECHO_SERVER]);
    const stream = await connectClient(`${proxy.url}/mcp`);
    const sse = await connectClient(`${proxy.url}/sse`, "sse");
    const pidOf = async (c: typeof stream) =>
      JSON.parse(textOf(await c.callTool({ name: "pid", arguments: {} }))).pid as number;
    const streamPid = await pidOf(stream);
    const ssePid = await pidOf(sse);
    expect(streamPid).not.toBe(ssePid);
    await (stream.transport as StreamableHTTPClientTransport).terminateSession();
    await stream.close();
    await sse.close();
    await waitFor(() => !isAlive(streamPid) && !isAlive(ssePid), 8000);
  });
});
