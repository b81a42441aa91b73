// Runs the BUILT binary (dist/bin.js) as a child process, as users do, and
// cleans every process it started up after each test.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initializeRequest, waitFor } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

export interface RunningBin {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<RunningBin>();
const clients = new Set<Client>();

/** Spawns `node dist/bin.js ...args`. The env never inherits MCP_PROXY_* from the test runner. */
export function spawnBin(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): RunningBin {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("MCP_PROXY_")) env[k] = v;
  const proc = spawn(process.execPath, [BIN, ...args], {
    env: { ...env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let out = "";
  let err = "";
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const bin: RunningBin = { proc, stdout: () => out, stderr: () => err, exited };
  running.add(bin);
  void exited.then(() => running.delete(bin));
  return bin;
}

/** Runs the binary to completion (bounded). */
export async function runBin(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = spawnBin(args, options);
  bin.proc.stdin!.end();
  const timer = setTimeout(() => bin.proc.kill("SIGKILL"), options.timeoutMs ?? 15_000);
  const { code } = await bin.exited;
  clearTimeout(timer);
  return { code, stdout: bin.stdout(), stderr: bin.stderr() };
}

/** Starts the proxy and returns it with its base URL, parsed from the startup lines on stderr. */
export async function startProxy(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<RunningBin & { url: string }> {
  const bin = spawnBin(["--port", "0", ...args], options);
  let exitedEarly = false;
  void bin.exited.then(() => {
    exitedEarly = true;
  });
  await waitFor(() => exitedEarly || /health: +https?:\/\/\S+\/health/.test(bin.stderr()), 15_000);
  const match = /health: +(https?:\/\/\S+)\/health/.exec(bin.stderr());
  if (!match) throw new Error(`proxy did not start:\n${bin.stderr()}`);
  return { ...bin, url: match[1]! };
}

/** An SDK client connected to `url` over Streamable HTTP or SSE. */
export async function connectClient(
  url: string,
  kind: "stream" | "sse" = "stream",
  headers: Record<string, string> = {},
): Promise<Client> {
  const client = new Client({ name: "cli-test", version: "1.0.0" });
  const transport =
    kind === "stream"
      ? new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } })
      : new SSEClientTransport(new URL(url), {
          requestInit: { headers },
          eventSourceInit: {
            fetch: (u, init) => fetch(u, { ...init, headers: { ...init?.headers, ...headers } }),
          },
        });
  await client.connect(transport);
  clients.add(client);
  return client;
}

/** A 2025-06-18 initialize request, serialized, for raw POSTs. */
export const INITIALIZE_BODY = JSON.stringify(initializeRequest());

/** A raw JSON POST to `${url}/mcp`, accepting JSON or SSE, with extra `headers`. */
export function postMcp(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body,
  });
}

/**
 * A raw 2026-07-28 tools/call to `${url}/mcp`, shaped as the spec shows it (the `_meta` envelope
 * and the Mcp-* headers), through `send` (default fetch).
 */
export function postModernCall(
  url: string,
  id: number,
  params: { name: string; arguments: Record<string, unknown> } & Record<string, unknown>,
  capabilities: Record<string, unknown> = {},
  send: typeof fetch = fetch,
): Promise<Response> {
  const version = "2026-07-28";
  return send(`${url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": version,
      "mcp-method": "tools/call",
      "mcp-name": params.name,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: {
        ...params,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": version,
          "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
          "io.modelcontextprotocol/clientCapabilities": capabilities,
        },
      },
    }),
  });
}

/** The text of a tool result's first content item. */
export function textOf(result: unknown): string {
  const content = (result as { content: { type: string; text: string }[] }).content;
  return content[0]!.text;
}

const tempDirs = new Set<string>();

/** A fresh directory under the OS temp dir, removed by `cleanup()`. */
export function tempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  tempDirs.add(dir);
  return dir;
}

/** afterEach: close clients, SIGTERM every binary still running (SIGKILL if it hangs), remove temp dirs. */
export async function cleanup(): Promise<void> {
  await Promise.allSettled([...clients].map((c) => c.close()));
  clients.clear();
  await Promise.allSettled(
    [...running].map(async (bin) => {
      bin.proc.kill("SIGTERM");
      const timer = setTimeout(() => bin.proc.kill("SIGKILL"), 8000);
      await bin.exited;
      clearTimeout(timer);
    }),
  );
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
