import { ECHO_SERVER, isAlive, waitFor } from "@mcp-proxy/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import {
  BIN,
  cleanup,
  connectClient,
  INITIALIZE_BODY,
  postMcp,
  startProxy,
  tempDir,
  textOf,
} from "./helpers.js";

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
    const dir = tempDir("mcp-proxy-cwd-");
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
    const post = (headers: Record<string, string>) => postMcp(proxy.url, INITIALIZE_BODY, headers);
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
