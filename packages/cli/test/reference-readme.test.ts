// The library examples of the reference `mcp-proxy` README (6.7.19), run
// against our packages with only their import lines changed. Each example is a
// module under reference-readme/ whose marked block is the README's code as
// written; it runs in its own Node process (the examples bind fixed ports and
// some never close), compiled from TypeScript as the README's readers would.
// The README's remaining snippet (a client sending X-API-Key) configures the
// SDK client only and is covered by the API key tests.
import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ECHO_SERVER, isAlive, waitFor } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import ts from "typescript";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { INITIALIZE_BODY, postMcp } from "./helpers.js";

const SOURCE = fileURLToPath(new URL("./reference-readme/", import.meta.url));
const OUT = fileURLToPath(new URL("./reference-readme/.out/", import.meta.url));
const MODERN = "2026-07-28";
/** The examples' environment: the fixture's path (the prelude reads it). */
const ENV: Record<string, string> = { ...(process.env as Record<string, string>), ECHO_SERVER };

beforeAll(() => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  for (const file of readdirSync(SOURCE).filter((f) => f.endsWith(".ts"))) {
    const { outputText } = ts.transpileModule(readFileSync(SOURCE + file, "utf8"), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    writeFileSync(OUT + file.replace(/\.ts$/, ".js"), outputText);
  }
});
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

interface Example {
  proc: ChildProcess;
  messages: Array<Record<string, unknown>>;
  output: () => string;
  exited: Promise<number | null>;
  /** Sends a command to the example and waits for its reply. */
  command: () => Promise<unknown>;
}

const running = new Set<ChildProcess>();
afterEach(async () => {
  await Promise.all(
    [...running].map(
      (proc) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          proc.once("exit", () => resolve());
          proc.kill("SIGTERM");
        }),
    ),
  );
  running.clear();
});

function runExample(name: string): Example {
  const proc = fork(`${OUT}${name}.js`, [], { stdio: ["pipe", "pipe", "pipe", "ipc"], env: ENV });
  running.add(proc);
  const messages: Array<Record<string, unknown>> = [];
  let output = "";
  proc.stdout?.setEncoding("utf8").on("data", (d: string) => {
    output += d;
  });
  proc.stderr?.setEncoding("utf8").on("data", (d: string) => {
    output += d;
  });
  proc.on("message", (m) => messages.push(m as Record<string, unknown>));
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => resolve(code)),
  );
  let nextId = 0;
  return {
    proc,
    messages,
    output: () => output,
    exited,
    command: async () => {
      const id = ++nextId;
      proc.send({ id });
      await waitFor(() => messages.some((m) => m.reply === id), 15_000);
      const reply = messages.find((m) => m.reply === id)!;
      if (reply.error) throw new Error(String(reply.error));
      return reply.result;
    },
  };
}

/** Waits for the example to report `key` (or to die, which fails with its output). */
async function reported(example: Example, key: string): Promise<unknown> {
  let exited = false;
  void example.exited.then(() => {
    exited = true;
  });
  await waitFor(() => exited || example.messages.some((m) => key in m), 20_000);
  const message = example.messages.find((m) => key in m);
  if (!message) throw new Error(`example exited before reporting ${key}:\n${example.output()}`);
  return message[key];
}

const preflight = (url: string, origin: string) =>
  fetch(`${url}/mcp`, {
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type, mcp-protocol-version",
    },
  });

const initialize = (url: string, origin: string) =>
  postMcp(url, INITIALIZE_BODY, { Origin: origin });

/** Opens a 2026-07-28 listen stream and collects its notification methods. */
async function listen(url: string, notifications: Record<string, unknown>) {
  const abort = new AbortController();
  const body = {
    jsonrpc: "2.0",
    id: 9,
    method: "subscriptions/listen",
    params: {
      notifications,
      _meta: {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": { name: "listener", version: "1" },
        "io.modelcontextprotocol/clientCapabilities": {},
      },
    },
  };
  const res = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "MCP-Protocol-Version": MODERN,
      "Mcp-Method": "subscriptions/listen",
    },
    body: JSON.stringify(body),
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  const methods: string[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (const match of buffer.matchAll(/"method":"([^"]+)"/g)) methods.push(match[1]!);
        buffer = buffer.slice(buffer.lastIndexOf("\n") + 1);
      }
    } catch {
      // Aborted at the end of the test.
    }
  })();
  await waitFor(() => methods.includes("notifications/subscriptions/acknowledged"), 15_000);
  return {
    methods,
    close: async () => {
      abort.abort();
      await reading;
    },
  };
}

describe("the reference README's library examples, imports renamed", () => {
  it("CorsOptions with an origin list: that origin passes the preflight and the Origin check", async () => {
    const example = runExample("cors-options");
    const url = (await reported(example, "ready")) as string;
    const ok = await preflight(url, "https://app.example.com");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
    const posted = await initialize(url, "https://app.example.com");
    expect(posted.status).toBe(200);
    await posted.text();
    expect((await preflight(url, "https://evil.example.org")).status).toBe(403);
  });

  it("CorsOptions with an origin function", async () => {
    const example = runExample("cors-origin-function");
    const url = (await reported(example, "ready")) as string;
    expect((await preflight(url, "https://app.example.com")).status).toBe(204);
    const posted = await initialize(url, "https://tools.example.com");
    expect(posted.status).toBe(200);
    await posted.text();
    expect((await preflight(url, "https://example.org")).status).toBe(403);
  });

  it("proxyServer between SDK v2 objects", async () => {
    const example = runExample("proxy-server");
    expect(await reported(example, "done")).toBe("through");
    expect(await example.exited).toBe(0);
  });

  it("startHTTPServer with a v2 Server, returning close and notify", async () => {
    const example = runExample("start-http-server");
    expect(await reported(example, "done")).toBe("function");
    expect(await example.exited).toBe(0);
  });

  it("getUpstreamBridge feeding notify: upstream changes reach a 2026-07-28 listen stream", async () => {
    const example = runExample("notify");
    const url = (await reported(example, "ready")) as string;
    const stream = await listen(url, { toolsListChanged: true });
    await example.command();
    await waitFor(() => stream.methods.includes("notifications/tools/list_changed"), 15_000);
    await stream.close();
  });

  it("onListenSubscriptions with acquireListenSubscriptions: resource updates reach the stream", async () => {
    const example = runExample("listen-subscriptions");
    const url = (await reported(example, "ready")) as string;
    const stream = await listen(url, { resourceSubscriptions: ["fixture://greeting"] });
    await example.command();
    await waitFor(() => stream.methods.includes("notifications/resources/updated"), 15_000);
    await stream.close();
  });

  for (const [name, label] of [
    ["stdio-sse", "ServerType.SSE"],
    ["stdio-http-stream", "ServerType.HTTPStream"],
  ] as const) {
    it(`startStdioServer with ${label}: a stdio client reaches the remote server`, async () => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [`${OUT}${name}.js`],
        env: ENV,
        stderr: "pipe",
      });
      const client = new Client({ name: "desktop", version: "1.0.0" });
      let pid: number | null = null;
      try {
        await client.connect(transport);
        pid = transport.pid;
        const result = await client.callTool({ name: "echo", arguments: { text: label } });
        expect((result.content as Array<{ text?: string }>)[0]?.text).toBe(label);
      } finally {
        await client.close();
        // The example's remote server holds port 8080: let the process go before the next one.
        if (pid !== null) {
          const gone = pid;
          await waitFor(() => !isAlive(gone), 15_000);
        }
      }
    });
  }

  it("tapTransport logs every event of a transport", async () => {
    const example = runExample("tap-transport");
    expect(await reported(example, "done")).toBe("tapped");
    expect(await example.exited).toBe(0);
    expect(example.output()).toContain("type: 'send'");
    expect(example.output()).toContain("type: 'message'");
  });
});
