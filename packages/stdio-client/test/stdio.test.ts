// The stdio side, driven by hand: stdout carries JSON-RPC lines and nothing else.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { closeServers, startStreamServer } from "./helpers/servers.js";

const RUNNER = fileURLToPath(new URL("./fixtures/stdio-runner.mjs", import.meta.url));

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  },
};

afterEach(async () => {
  await closeServers();
});

/** The runner fixture with raw pipes: what it wrote so far, and its exit code. */
function spawnRaw(options: Record<string, unknown>) {
  const child = spawn(process.execPath, [RUNNER], {
    env: { PATH: process.env.PATH ?? "", STDIO_RUNNER_OPTIONS: JSON.stringify(options) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString("utf8");
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { stdin: child.stdin, stdout: () => stdout, stderr: () => stderr, exited };
}

describe("stdio side", () => {
  it("writes only JSON-RPC lines to stdout, answers garbage with a parse error and exits when stdin ends", async () => {
    const server = await startStreamServer();
    const runner = spawnRaw({ url: server.url, transport: "stream" });
    runner.stdin.write("this is not json\n");
    runner.stdin.write(`${JSON.stringify(initialize)}\n`);
    const deadline = Date.now() + 10_000;
    while (!runner.stdout().includes('"id":1') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    runner.stdin.end();
    expect(await runner.exited).toBe(0);

    const lines = runner
      .stdout()
      .split("\n")
      .filter((l) => l !== "");
    const messages = lines.map(
      (l) => JSON.parse(l) as { jsonrpc: string; id: unknown; error?: { code: number } },
    );
    expect(messages.every((m) => m.jsonrpc === "2.0")).toBe(true);
    expect(messages[0]).toMatchObject({ id: null, error: { code: -32700 } });
    expect(messages[1]).toMatchObject({ id: 1, result: { serverInfo: { name: "echo-fixture" } } });
    // Diagnostics went to stderr.
    expect(runner.stderr()).toMatch(/not JSON/);
    // Ending stdin ended the remote session.
    expect(server.deleted).toHaveLength(1);
  });

  it("answers requests still in flight when stdin ends right after them (a piped script)", async () => {
    const server = await startStreamServer();
    const runner = spawnRaw({ url: server.url, transport: "stream" });
    runner.stdin.end(`${JSON.stringify(initialize)}\n`);
    expect(await runner.exited).toBe(0);
    expect(JSON.parse(runner.stdout().trim())).toMatchObject({
      id: 1,
      result: { serverInfo: { name: "echo-fixture" } },
    });
  });

  it.each(["legacy", "auto"])(
    "holds what a script pipes after initialize until the session exists (protocol %s)",
    async (protocol) => {
      const server = await startStreamServer();
      const runner = spawnRaw({ url: server.url, transport: "stream", protocol });
      const initialized = { jsonrpc: "2.0", method: "notifications/initialized" };
      const list = { jsonrpc: "2.0", id: 2, method: "tools/list" };
      // All three in one write, as `cat script.jsonl | mcp-proxy stdio …` does.
      runner.stdin.end(
        `${[initialize, initialized, list].map((m) => JSON.stringify(m)).join("\n")}\n`,
      );
      expect(await runner.exited).toBe(0);
      const answers = runner
        .stdout()
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { id: number; result?: { tools?: unknown[] } });
      expect(answers.map((a) => a.id).sort()).toEqual([1, 2]);
      expect(answers.find((a) => a.id === 2)?.result?.tools?.length).toBeGreaterThan(0);
    },
  );
});
