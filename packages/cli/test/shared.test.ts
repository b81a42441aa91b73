import { ECHO_SERVER, isAlive, waitFor } from "@mcp-proxy/test-utils";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, connectClient, runBin, startProxy, textOf } from "./helpers.js";

afterEach(cleanup);

const pidOf = async (client: Client): Promise<number> =>
  JSON.parse(textOf(await client.callTool({ name: "pid", arguments: {} }))).pid;

/** A 2026-07-28 tools/call of `pid`, as the spec shapes it; returns the pid it answered. */
async function modernPid(url: string): Promise<number> {
  const response = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "pid",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name: "pid",
        arguments: {},
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    }),
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  const body = JSON.parse(text.startsWith("{") ? text : text.split("\ndata: ")[1]!.split("\n")[0]!);
  return JSON.parse(body.result.content[0].text).pid;
}

describe("mcp-proxy --shared", () => {
  it("runs every session on one child; ending one session leaves it to the others", async () => {
    const proxy = await startProxy(["--shared", "--", "node", ECHO_SERVER]);
    expect(proxy.stderr()).toContain("mode:            stateful, shared");
    const a = await connectClient(`${proxy.url}/mcp`);
    const b = await connectClient(`${proxy.url}/mcp`);
    const pid = await pidOf(a);
    expect(await pidOf(b)).toBe(pid);
    const sse = await connectClient(`${proxy.url}/sse`, "sse");
    expect(await pidOf(sse)).toBe(pid);

    // DELETE ends session a only.
    await (a.transport as StreamableHTTPClientTransport).terminateSession();
    expect(textOf(await b.callTool({ name: "echo", arguments: { text: "still" } }))).toBe("still");
    expect(await pidOf(b)).toBe(pid);
    expect(isAlive(pid)).toBe(true);
    const health = await fetch(`${proxy.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ detail: { upstream: "up" } });

    proxy.proc.kill("SIGTERM");
    expect((await proxy.exited).code).toBe(0);
    await waitFor(() => !isAlive(pid), 5000);
  });

  it("serves 2026-07-28 requests from a child of their own, beside the sessions' shared one", async () => {
    const proxy = await startProxy(["--shared", "--", "node", ECHO_SERVER]);
    const modern = await modernPid(proxy.url);
    const first = await connectClient(`${proxy.url}/mcp`);
    const second = await connectClient(`${proxy.url}/mcp`);
    const shared = await pidOf(first);
    // Sessions share one child; the gateway's long-lived calls stay off it.
    expect(await pidOf(second)).toBe(shared);
    expect(shared).not.toBe(modern);
    expect(await modernPid(proxy.url)).toBe(modern);
  });

  it("exits with the child's code when the shared child dies", async () => {
    const proxy = await startProxy(["--shared", "--", "node", ECHO_SERVER]);
    const client = await connectClient(`${proxy.url}/mcp`);
    await client.callTool({ name: "exit", arguments: { code: 7 } }).catch(() => undefined);
    expect((await proxy.exited).code).toBe(7);
  });

  it("--restart on-failure gives later sessions a fresh shared child", async () => {
    const proxy = await startProxy([
      "--shared",
      "--restart",
      "on-failure",
      "--",
      "node",
      ECHO_SERVER,
    ]);
    const first = await connectClient(`${proxy.url}/mcp`);
    const pid = await pidOf(first);
    await first.callTool({ name: "exit", arguments: { code: 3 } }).catch(() => undefined);
    await waitFor(() => !isAlive(pid), 5000);
    const next = await connectClient(`${proxy.url}/mcp`);
    const again = await pidOf(next);
    expect(again).not.toBe(pid);
    expect(await pidOf(await connectClient(`${proxy.url}/mcp`))).toBe(again);
  });

  it("refuses --shared together with --stateless", async () => {
    const result = await runBin(["--shared", "--stateless", "--", "node", ECHO_SERVER]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--shared and --stateless exclude each other");
  });
});
