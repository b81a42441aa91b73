import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ChildProcessTransport } from "@mcp-proxy/core";
import { type HTTPServerHandle, startHTTPServer } from "@mcp-proxy/http-server";
import { ECHO_SERVER, echoServerCommand } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cleanup, spawnBin, tempDir, textOf } from "./helpers.js";

const servers: HTTPServerHandle[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await Promise.allSettled(servers.splice(0).map((s) => s.close()));
  await cleanup();
});

/** An SDK client that spawns the built binary as its stdio server. */
async function stdioClient(
  args: string[],
): Promise<{ client: Client; stderr: () => string; errors: Error[] }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, ...args],
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
  });
  const client = new Client({ name: "cli-stdio-test", version: "1.0.0" });
  // Anything on stdout that is not a JSON-RPC message surfaces here.
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  await client.connect(transport);
  clients.push(client);
  return { client, stderr: () => stderr, errors };
}

describe("mcp-proxy stdio <url>", () => {
  it("forwards a stdio client to a remote Streamable HTTP server", async () => {
    const server = await startHTTPServer({
      port: 0,
      createUpstream: () => new ChildProcessTransport(echoServerCommand()),
    });
    servers.push(server);
    const { client } = await stdioClient(["stdio", "--transport", "stream", `${server.url}/mcp`]);
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "via stdio" } }))).toBe(
      "via stdio",
    );
    const resource = await client.readResource({ uri: "fixture://greeting" });
    expect(resource.contents).toHaveLength(1);
  });

  it("reaches an SSE server and sends --header", async () => {
    const server = await startHTTPServer({
      port: 0,
      apiKey: "k",
      createUpstream: () => new ChildProcessTransport(echoServerCommand()),
    });
    servers.push(server);
    const { client } = await stdioClient([
      "stdio",
      "--transport",
      "sse",
      "--header",
      "X-API-Key: k",
      `${server.url}/sse`,
    ]);
    expect(textOf(await client.callTool({ name: "add", arguments: { a: 1, b: 1 } }))).toBe("2");
  });

  it("shows the traffic on stderr with --debug and in --log-file, never on stdout", async () => {
    const server = await startHTTPServer({
      port: 0,
      createUpstream: () => new ChildProcessTransport(echoServerCommand()),
    });
    servers.push(server);
    const file = join(tempDir("mcp-proxy-stdio-"), "traffic.jsonl");
    const { client, stderr, errors } = await stdioClient([
      "stdio",
      "--debug",
      "--log-file",
      file,
      "--protocol",
      "legacy",
      `${server.url}/mcp`,
    ]);
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "seen" } }))).toBe(
      "seen",
    );
    expect(stderr()).toMatch(/→ initialize/);
    expect(stderr()).toContain("tools/call");
    expect(errors).toEqual([]);
    await client.close();
    const records = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; message?: { method?: string } });
    const sent = records.filter((r) => r.type === "send").map((r) => r.message?.method);
    expect(sent).toEqual(expect.arrayContaining(["initialize", "tools/call"]));
  });
});

describe("mcp-proxy tap -- <command>", () => {
  it("logs a whole exchange as JSON Lines to --log-file; stdout carries only the protocol", async () => {
    const file = join(tempDir("mcp-proxy-tap-"), "traffic.jsonl");
    const { client } = await stdioClient([
      "tap",
      "--log-file",
      file,
      "--",
      "node",
      ECHO_SERVER,
      "--banner",
    ]);
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "tapped" } }))).toBe(
      "tapped",
    );
    await client.close();
    const records = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { type: string; method?: string; message?: { method?: string } },
      );
    const sent = records.filter((r) => r.type === "send").map((r) => r.message?.method);
    expect(sent).toEqual(
      expect.arrayContaining(["initialize", "notifications/initialized", "tools/call"]),
    );
    const answered = records.filter((r) => r.type === "message" && r.method).map((r) => r.method);
    expect(answered).toEqual(expect.arrayContaining(["initialize", "tools/call"]));
    expect(records[0]!.type).toBe("start");
  });

  it("logs human-readable lines on stderr without --log-file", async () => {
    const { client, stderr } = await stdioClient(["tap", "--", "node", ECHO_SERVER]);
    await client.callTool({ name: "echo", arguments: { text: "x" } });
    expect(stderr()).toContain("tools/call");
    expect(stderr()).toMatch(/→ initialize/);
  });
});

describe("tap: the child ends the proxy", () => {
  it("exits with the child's code and says why", async () => {
    const bin = spawnBin([
      "tap",
      "--",
      "node",
      ECHO_SERVER,
      "--exit-after",
      "200",
      "--exit-code",
      "5",
    ]);
    const exit = await bin.exited;
    expect(exit.code).toBe(5);
    expect(bin.stderr()).toContain("exited with code 5");
    expect(bin.stdout()).toBe("");
  });
});
