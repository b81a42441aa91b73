import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ECHO_SERVER, isAlive, waitFor } from "@mcp-proxy/test-utils";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cleanup, connectClient, runBin, startProxy, textOf } from "./helpers.js";

afterEach(cleanup);

describe("mcp-proxy [options] -- <command>", () => {
  it("serves the child over Streamable HTTP and SSE", async () => {
    const proxy = await startProxy(["--", "node", ECHO_SERVER]);
    expect(proxy.stderr()).toContain(`Streamable HTTP: ${proxy.url}/mcp`);
    expect(proxy.stderr()).toContain("auth:            off");

    const stream = await connectClient(`${proxy.url}/mcp`);
    expect(textOf(await stream.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe("hi");
    const resources = await stream.listResources();
    expect(resources.resources.map((r) => r.uri)).toContain("fixture://greeting");
    const prompt = await stream.getPrompt({ name: "greet", arguments: { name: "Ada" } });
    expect(JSON.stringify(prompt.messages)).toContain("Ada");

    const sse = await connectClient(`${proxy.url}/sse`, "sse");
    expect(textOf(await sse.callTool({ name: "add", arguments: { a: 2, b: 3 } }))).toBe("5");
    expect(proxy.stdout()).toBe("");
  });

  it("passes every argument after -- untouched, dash arguments included", async () => {
    const proxy = await startProxy([
      "--",
      "node",
      ECHO_SERVER,
      "--port",
      "1",
      "-v",
      "--",
      "--apiKey=x",
    ]);
    const client = await connectClient(`${proxy.url}/mcp`);
    const argv = JSON.parse(textOf(await client.callTool({ name: "argv", arguments: {} })));
    expect(argv).toEqual(["--port", "1", "-v", "--", "--apiKey=x"]);
  });

  it("without --, stops parsing at the command: later flags are the child's", async () => {
    const proxy = await startProxy(["node", ECHO_SERVER, "--stateless", "--debug"]);
    expect(proxy.stderr()).toContain("stateful (one child per session)");
    const client = await connectClient(`${proxy.url}/mcp`);
    const argv = JSON.parse(textOf(await client.callTool({ name: "argv", arguments: {} })));
    expect(argv).toEqual(["--stateless", "--debug"]);
  });

  it("runs the command through the shell with --shell", async () => {
    // The command text itself is shell syntax: an assignment prefix only a shell understands.
    const proxy = await startProxy([
      "--shell",
      "--",
      "FROM_SHELL=yes node",
      ECHO_SERVER,
      "--name",
      "a b",
    ]);
    const client = await connectClient(`${proxy.url}/mcp`);
    const env = JSON.parse(
      textOf(await client.callTool({ name: "env", arguments: { name: "FROM_SHELL" } })),
    );
    expect(env.value).toBe("yes");
    expect(client.getServerVersion()?.name).toBe("a b");
  });

  it("passes --env and --cwd to the child, never MCP_PROXY_* variables", async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), "mcp-proxy-cwd-")));
    const proxy = await startProxy(
      ["--env", "GREETING=hello world", "--cwd", dir, "--", "node", ECHO_SERVER],
      {
        env: { MCP_PROXY_API_KEY: "s3cret", MCP_PROXY_LOG_LEVEL: "info", PARENT_VAR: "inherited" },
      },
    );
    const client = await connectClient(`${proxy.url}/mcp`, "stream", { "X-API-Key": "s3cret" });
    const read = async (name: string) =>
      JSON.parse(textOf(await client.callTool({ name: "env", arguments: { name } })));
    expect(await read("GREETING")).toEqual({ value: "hello world", cwd: dir });
    expect((await read("PARENT_VAR")).value).toBe("inherited");
    expect((await read("MCP_PROXY_API_KEY")).value).toBeNull();
    expect((await read("MCP_PROXY_LOG_LEVEL")).value).toBeNull();
  });

  it("--no-pass-environment keeps the parent's variables from the child", async () => {
    const proxy = await startProxy(["--no-pass-environment", "--", "node", ECHO_SERVER], {
      env: { PARENT_VAR: "inherited" },
    });
    const client = await connectClient(`${proxy.url}/mcp`);
    const env = JSON.parse(
      textOf(await client.callTool({ name: "env", arguments: { name: "PARENT_VAR" } })),
    );
    expect(env.value).toBeNull();
  });

  it("--apiKey rejects requests without the key and accepts them with it", async () => {
    const proxy = await startProxy(["--apiKey", "k3y", "--", "node", ECHO_SERVER]);
    expect(proxy.stderr()).toContain("API key required");
    const init = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "t", version: "1" },
      },
    };
    const post = (headers: Record<string, string>) =>
      fetch(`${proxy.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        body: JSON.stringify(init),
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ "X-API-Key": "wrong" })).status).toBe(401);
    expect((await fetch(`${proxy.url}/sse`)).status).toBe(401);
    const client = await connectClient(`${proxy.url}/mcp`, "stream", { "X-API-Key": "k3y" });
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "ok" } }))).toBe("ok");
  });

  it("--stateless serves clients from one shared child", async () => {
    const proxy = await startProxy(["--stateless", "--", "node", ECHO_SERVER]);
    expect(proxy.stderr()).toContain("stateless");
    const a = await connectClient(`${proxy.url}/mcp`);
    const b = await connectClient(`${proxy.url}/mcp`);
    const pidA = JSON.parse(textOf(await a.callTool({ name: "pid", arguments: {} }))).pid;
    const pidB = JSON.parse(textOf(await b.callTool({ name: "pid", arguments: {} }))).pid;
    expect(pidA).toBe(pidB);
    const health = await fetch(`${proxy.url}/health`);
    expect(health.status).toBe(200);
  });

  it("--server stream serves only /mcp (then /sse is 404)", async () => {
    const proxy = await startProxy(["--server", "stream", "--", "node", ECHO_SERVER]);
    expect(proxy.stderr()).not.toContain("SSE:");
    expect((await fetch(`${proxy.url}/sse`)).status).toBe(404);
    const client = await connectClient(`${proxy.url}/mcp`);
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "s" } }))).toBe("s");
  });

  it("--server sse --endpoint moves the SSE endpoint", async () => {
    const proxy = await startProxy([
      "--server",
      "sse",
      "--endpoint",
      "/events",
      "--",
      "node",
      ECHO_SERVER,
    ]);
    expect((await fetch(`${proxy.url}/mcp`, { method: "POST" })).status).toBe(404);
    const client = await connectClient(`${proxy.url}/events`, "sse");
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "e" } }))).toBe("e");
  });

  it("SIGTERM closes everything and leaves no child or grandchild running", async () => {
    const proxy = await startProxy(["--", "node", ECHO_SERVER]);
    const client = await connectClient(`${proxy.url}/mcp`);
    const { pid, grandchild } = JSON.parse(
      textOf(await client.callTool({ name: "pid", arguments: { grandchild: true } })),
    );
    expect(isAlive(pid)).toBe(true);
    proxy.proc.kill("SIGTERM");
    const exit = await proxy.exited;
    expect(exit.code).toBe(0);
    await waitFor(() => !isAlive(pid) && !isAlive(grandchild), 5000);
  });

  it("exits with the child's code when the shared child dies (--stateless)", async () => {
    const proxy = await startProxy(["--stateless", "--", "node", ECHO_SERVER]);
    const client = await connectClient(`${proxy.url}/mcp`);
    await client.callTool({ name: "exit", arguments: { code: 7 } }).catch(() => undefined);
    const exit = await proxy.exited;
    expect(exit.code).toBe(7);
    expect(proxy.stderr()).toContain("exited with code 7");
  });

  it("reports a crashed child on /health while /ping stays up", async () => {
    const proxy = await startProxy(["--", "node", ECHO_SERVER]);
    const client = await connectClient(`${proxy.url}/mcp`);
    await client.callTool({ name: "exit", arguments: { code: 2 } }).catch(() => undefined);
    await waitFor(async () => (await fetch(`${proxy.url}/health`)).status === 503, 5000);
    expect((await fetch(`${proxy.url}/ping`)).status).toBe(200);
  });
});

describe("bad usage exits 1 with one line", () => {
  const oneLine = (stderr: string) => stderr.trim().split("\n");

  it("port in use", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runBin(["--port", String(port), "--", "node", ECHO_SERVER]);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(/in use/i);
    } finally {
      blocker.close();
    }
  });

  it("unknown flag", async () => {
    const r = await runBin(["--bogus", "--", "node", ECHO_SERVER]);
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(oneLine(r.stderr)).toEqual(["mcp-proxy: Unknown option --bogus (see mcp-proxy --help)"]);
  });

  it("missing command", async () => {
    const r = await runBin(["--port", "0"]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("No command to run");
  });

  it("bad number, command not found, missing certificate", async () => {
    for (const args of [
      ["--port", "eighty", "--", "node"],
      ["--", "surely-not-a-command-xyz"],
      ["--sslCert", "/nope/cert.pem", "--sslKey", "/nope/key.pem", "--", "node", ECHO_SERVER],
    ]) {
      const r = await runBin(args);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toHaveLength(1);
    }
  });

  it("--help and --version print on stdout and exit 0", async () => {
    const help = await runBin(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--sseEndpoint <path>");
    expect(help.stdout).toContain("(default: 8080)");
    expect(help.stdout).toContain("Examples:");
    const version = await runBin(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^mcp-proxy\/\d+\.\d+\.\d+/);
  });
});

describe("the bundled example server", () => {
  it("runs behind the proxy with tools, a resource and a prompt", async () => {
    const example = BIN.replace(/bin\.js$/, "example-server.js");
    const proxy = await startProxy(["--host", "127.0.0.1", "--", "node", example]);
    const client = await connectClient(`${proxy.url}/mcp`);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(["echo", "add", "time"]);
    expect(textOf(await client.callTool({ name: "add", arguments: { a: 40, b: 2 } }))).toBe("42");
    const readme = await client.readResource({ uri: "example://readme" });
    expect(JSON.stringify(readme.contents)).toContain("mcp-proxy");
    const prompt = await client.getPrompt({ name: "greet", arguments: { name: "Ada" } });
    expect(JSON.stringify(prompt.messages)).toContain("Ada");
  });
});

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
    const file = join(mkdtempSync(join(tmpdir(), "mcp-proxy-log-")), "traffic.jsonl");
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

describe("TLS", () => {
  it("serves HTTPS with --sslCert and --sslKey", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mcp-proxy-tls-"));
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        ...[
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
        ],
        ...["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
      ],
      { stdio: "ignore" },
    );
    const proxy = await startProxy(["--sslCert", cert, "--sslKey", key, "--", "node", ECHO_SERVER]);
    expect(proxy.url).toMatch(/^https:\/\//);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      https
        .get(`${proxy.url}/ping`, { ca: readFileSync(cert) }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on("error", reject);
    });
    expect(status).toBe(200);
  });
});

describe("DNS-rebinding checks", () => {
  it("rejects a foreign Host on loopback unless --allowedHost names it", async () => {
    const request = (url: string, host: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        http
          .get(`${url}/sse`, { headers: { host } }, (res) => {
            res.destroy();
            resolve(res.statusCode);
          })
          .on("error", reject);
      });
    const strict = await startProxy(["--", "node", ECHO_SERVER]);
    expect(await request(strict.url, "evil.example")).toBe(403);
    const relaxed = await startProxy([
      "--allowedHost",
      "mcp.example.com",
      "--",
      "node",
      ECHO_SERVER,
    ]);
    expect(await request(relaxed.url, "mcp.example.com")).toBe(200);
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

describe("HTTP flags reach the server", () => {
  const initialize = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "t", version: "1" },
    },
  });
  const post = (url: string, body: string) =>
    fetch(`${url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body,
    });

  it("--maxBodySize, --maxSessions and --corsAddAllowedHeader", async () => {
    const proxy = await startProxy([
      ...["--maxBodySize", "2000", "--maxSessions", "1", "--corsAddAllowedHeader", "X-Custom"],
      ...["--", "node", ECHO_SERVER],
    ]);
    expect(
      (await post(proxy.url, `${initialize.slice(0, -1)},"pad":"${"x".repeat(3000)}"}`)).status,
    ).toBe(413);
    expect((await post(proxy.url, initialize)).status).toBe(200);
    expect((await post(proxy.url, initialize)).status).toBe(503);
    const preflight = await fetch(`${proxy.url}/mcp`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:5173",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-custom",
      },
    });
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain(
      "x-custom",
    );
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Mcp-Session-Id");
  });

  it("--corsOrigin off sends no CORS headers", async () => {
    const proxy = await startProxy(["--corsOrigin", "off", "--", "node", ECHO_SERVER]);
    const response = await fetch(`${proxy.url}/ping`, {
      headers: { origin: "http://localhost:5173" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});
