// `mcp-proxy --config servers.json` on the built binary: the acceptance test
// (alpha = the echo fixture, everything = server-everything, broken = a command that
// does not exist), the aggregate for clients of both eras, the filters, validation,
// a command beside the file, and a SIGHUP reload with a session open.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config file's syntax
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ChildProcessTransport } from "@mcp-proxy/core";
import { startHTTPServer } from "@mcp-proxy/http-server";
import { ECHO_SERVER, echoServerCommand, waitFor } from "@mcp-proxy/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { createNamedServer, type NamedServerDefaults } from "../src/named-servers.js";
import { parseServersFile } from "../src/server-config.js";
import { closeClients, connectV2, resultText } from "./era-clients.js";
import { cleanup, connectClient, runBin, startProxy, tempDir, textOf } from "./helpers.js";

const EVERYTHING = createRequire(import.meta.url).resolve(
  "@modelcontextprotocol/server-everything/dist/index.js",
);

afterEach(async () => {
  await closeClients();
  await cleanup();
});

const servers = {
  alpha: {
    command: process.execPath,
    args: [ECHO_SERVER, "--name", "alpha"],
    env: { ALPHA_TOKEN: "${TEST_ALPHA_TOKEN}" },
  },
  everything: { command: process.execPath, args: [EVERYTHING, "stdio"], denyTools: ["ech?"] },
  broken: { command: "/nonexistent/mcp-server-that-is-not-there" },
  off: { command: "/also/not/there", disabled: true },
};

function writeConfig(dir: string, config: unknown): string {
  const file = join(dir, "servers.json");
  writeFileSync(file, JSON.stringify(config));
  return file;
}

type ServerList = { servers: Array<{ name: string; status: string; url: string }> };
const listServers = async (url: string) =>
  (await (await fetch(`${url}/servers`)).json()) as ServerList;

describe("mcp-proxy --config", () => {
  it("serves named servers, their list, the aggregate and filters; SIGHUP removes one", async () => {
    const dir = tempDir("named-");
    const file = writeConfig(dir, { mcpServers: servers });
    const proxy = await startProxy(["--config", file], { env: { TEST_ALPHA_TOKEN: "s3cret" } });
    expect(proxy.stderr()).not.toContain("s3cret");

    // Each route, each transport.
    const alpha = await connectClient(`${proxy.url}/servers/alpha/mcp`);
    expect(textOf(await alpha.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe("hi");
    const env = await alpha.callTool({ name: "env", arguments: { name: "ALPHA_TOKEN" } });
    expect(JSON.parse(textOf(env)).value).toBe("s3cret");
    const everythingSse = await connectClient(`${proxy.url}/servers/everything/sse`, "sse");
    const sum = await everythingSse.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } });
    expect(textOf(sum)).toContain("5");

    // GET /servers: all three, broken unhealthy; /health still 200.
    const list = await listServers(proxy.url);
    expect(list.servers.map((s) => [s.name, s.status])).toEqual([
      ["alpha", "healthy"],
      ["everything", "healthy"],
      ["broken", "unhealthy"],
    ]);
    const health = await fetch(`${proxy.url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { detail: { failing: string[] } }).detail.failing).toEqual([
      "broken",
    ]);

    // The aggregate at /mcp, 2025-era client.
    const agg = await connectClient(`${proxy.url}/mcp`);
    const names = (await agg.listTools()).tools.map((t) => t.name);
    expect(names).toContain("alpha_echo");
    expect(names).toContain("everything_get-sum");
    expect(names.some((n) => n.startsWith("broken_"))).toBe(false);
    expect(textOf(await agg.callTool({ name: "alpha_echo", arguments: { text: "a" } }))).toBe("a");
    expect(
      textOf(await agg.callTool({ name: "everything_get-sum", arguments: { a: 1, b: 2 } })),
    ).toContain("3");
    // denyTools hides and refuses.
    expect(names).not.toContain("everything_echo");
    const refused = await agg
      .callTool({ name: "everything_echo", arguments: { message: "x" } })
      .then(
        (r) => (r.isError ? "refused" : "served"),
        () => "refused",
      );
    expect(refused).toBe("refused");
    expect(proxy.stderr()).toMatch(/server "broken"/);

    // The aggregate for a 2026-07-28 client.
    const modern = await connectV2(`${proxy.url}/mcp`, "v2-2026", [], "m");
    expect(await modern.toolNames()).toContain("everything_get-sum");
    expect(resultText(await modern.call("alpha_echo", { text: "modern" }))).toBe("modern");

    // Reload without alpha: its route ends, a session on everything keeps working.
    const everything = await connectClient(`${proxy.url}/servers/everything/mcp`);
    const { alpha: _removed, ...rest } = servers;
    writeConfig(dir, { mcpServers: rest });
    proxy.proc.kill("SIGHUP");
    await waitFor(
      async () => !(await listServers(proxy.url)).servers.some((s) => s.name === "alpha"),
      10_000,
    );
    const gone = await fetch(`${proxy.url}/servers/alpha/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(gone.status).toBe(404);
    await expect(alpha.callTool({ name: "echo", arguments: { text: "x" } })).rejects.toThrow();
    const again = await everything.callTool({ name: "get-sum", arguments: { a: 4, b: 4 } });
    expect(textOf(again)).toContain("8");
    const after = (await agg.listTools()).tools.map((t) => t.name);
    expect(after).not.toContain("alpha_echo");
    expect(after).toContain("everything_get-sum");
    expect(proxy.proc.exitCode).toBeNull();
  });

  it("serves a command after -- at /mcp beside the named servers", async () => {
    const dir = tempDir("named-");
    const file = writeConfig(dir, { mcpServers: { alpha: servers.alpha } });
    const proxy = await startProxy(
      ["--config", file, "--", process.execPath, ECHO_SERVER, "--name", "main"],
      { env: { TEST_ALPHA_TOKEN: "t" } },
    );
    const main = await connectClient(`${proxy.url}/mcp`);
    expect(main.getServerVersion()?.name).toBe("main");
    const alpha = await connectClient(`${proxy.url}/servers/alpha/mcp`);
    expect(alpha.getServerVersion()?.name).toBe("alpha");
  });

  it("offers a remote SSE-only server (a url entry) as Streamable HTTP", async () => {
    // The remote: HTTP+SSE only (no Streamable HTTP endpoint), so only transport "sse" reaches it.
    const remote = await startHTTPServer({
      port: 0,
      streamEndpoint: null,
      createUpstream: () => new ChildProcessTransport(echoServerCommand(["--name", "far"])),
    });
    try {
      expect((await fetch(`${remote.url}/mcp`, { method: "POST" })).status).toBe(404);
      const dir = tempDir("named-");
      const file = writeConfig(dir, {
        mcpServers: { far: { url: `${remote.url}/sse`, transport: "sse" } },
      });
      const proxy = await startProxy(["--config", file]);
      const far = await connectClient(`${proxy.url}/servers/far/mcp`);
      expect(far.getServerVersion()?.name).toBe("far");
      expect(textOf(await far.callTool({ name: "echo", arguments: { text: "via sse" } }))).toBe(
        "via sse",
      );
      const agg = await connectClient(`${proxy.url}/mcp`);
      expect(textOf(await agg.callTool({ name: "far_echo", arguments: { text: "agg" } }))).toBe(
        "agg",
      );
      const list = await listServers(proxy.url);
      expect(list.servers.map((s) => [s.name, s.status])).toEqual([["far", "healthy"]]);
    } finally {
      await closeClients();
      await cleanup();
      await remote.close();
    }
  });

  it("keeps the separator on reload, with a log line, while applying the servers' changes", async () => {
    const dir = tempDir("named-");
    const file = writeConfig(dir, { mcpServers: { alpha: servers.alpha }, separator: "." });
    const proxy = await startProxy(["--config", file], { env: { TEST_ALPHA_TOKEN: "t" } });
    writeConfig(dir, {
      mcpServers: { alpha: servers.alpha, beta: { ...servers.alpha, args: [ECHO_SERVER] } },
      separator: "__",
    });
    proxy.proc.kill("SIGHUP");
    await waitFor(async () => (await listServers(proxy.url)).servers.length === 2, 10_000);
    await waitFor(() => proxy.stderr().includes('reload: "separator" changed to "__"'), 5000);
    const agg = await connectClient(`${proxy.url}/mcp`);
    const names = (await agg.listTools()).tools.map((t) => t.name);
    expect(names).toContain("alpha.echo");
    expect(names).toContain("beta.echo");
  });

  it("refuses a bad file at start, naming the JSON path", async () => {
    const dir = tempDir("named-");
    const file = writeConfig(dir, {
      mcpServers: {
        a: { command: "x", args: "not-a-list", colour: "red" },
        b: { url: "http://127.0.0.1:1/mcp", command: "y" },
        c: { command: "z", env: { K: "${SURELY_UNSET_VAR_123}" } },
      },
    });
    const run = await runBin(["--port", "0", "--config", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("/mcpServers/a/args: must be array");
    expect(run.stderr).toContain('/mcpServers/a: unknown key "colour"');
    const bothRun = await runBin([
      "--port",
      "0",
      "--config",
      writeConfig(dir, { mcpServers: { b: { url: "http://127.0.0.1:1/mcp", command: "y" } } }),
    ]);
    expect(bothRun.stderr).toContain('/mcpServers/b: give either "command"');
    const unset = await runBin([
      "--port",
      "0",
      "--config",
      writeConfig(dir, {
        mcpServers: { c: { command: "z", env: { K: "${SURELY_UNSET_VAR_123}" } } },
      }),
    ]);
    expect(unset.stderr).toContain("/mcpServers/c/env/K: ${SURELY_UNSET_VAR_123} is not set");
  });
});

describe("the config file's per-server keys", () => {
  const defaults: NamedServerDefaults = {
    requestTimeout: 60_000,
    connectionTimeout: 10_000,
    restart: "never",
    killGracePeriodMs: 1000,
    wrap: (transport) => transport,
    env: {},
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  };

  it("maps idleTimeout onto the session timeout, or the shared child's idle timeout", async () => {
    const { servers } = parseServersFile(
      {
        mcpServers: {
          own: { command: process.execPath, idleTimeout: 5000 },
          shared: { command: process.execPath, shared: true, idleTimeout: 0 },
          remote: { url: "http://127.0.0.1:1/mcp", idleTimeout: 7000 },
          plain: { command: process.execPath },
        },
      },
      {},
    );
    expect(servers.map((s) => [s.name, s.idleTimeout])).toEqual([
      ["own", 5000],
      ["shared", 0],
      ["remote", 7000],
      ["plain", undefined],
    ]);
    const runtimes = servers.map((entry) => createNamedServer(entry, defaults));
    try {
      expect(runtimes.map((r) => r.options.sessionTimeout)).toEqual([
        5000,
        undefined,
        7000,
        undefined,
      ]);
    } finally {
      await Promise.all(runtimes.map((r) => r.close()));
    }
  });

  it("refuses a bad idleTimeout, and one on a stateless server", () => {
    expect(() =>
      parseServersFile({ mcpServers: { a: { command: "x", idleTimeout: -1 } } }, {}),
    ).toThrow("/mcpServers/a/idleTimeout: must be >= 0");
    expect(() =>
      parseServersFile(
        { mcpServers: { a: { command: "x", stateless: true, idleTimeout: 1000 } } },
        {},
      ),
    ).toThrow("/mcpServers/a/idleTimeout: not for a stateless server");
  });
});
