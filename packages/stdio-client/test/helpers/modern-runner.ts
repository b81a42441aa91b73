// Spawns the stdio runner fixture under a 2026-07-28 local client: the v2 SDK
// client (@modelcontextprotocol/client) pinned to 2026-07-28 over its own
// stdio transport, or raw JSON lines where a test must see the wire as it is.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { waitFor } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import type { RunnerOptions } from "./runner.js";

const RUNNER = fileURLToPath(new URL("../fixtures/stdio-runner.mjs", import.meta.url));

export const MODERN = "2026-07-28";
export const MODERN_CLIENT_INFO = { name: "modern-local", version: "2.0.0" };

/** The per-request `_meta` envelope of a 2026-07-28 request. */
export function envelope(capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": MODERN_CLIENT_INFO,
    "io.modelcontextprotocol/clientCapabilities": capabilities,
  };
}

const cleanups = new Set<() => Promise<void>>();

function runnerEnv(options: RunnerOptions): Record<string, string> {
  return { PATH: process.env.PATH ?? "", STDIO_RUNNER_OPTIONS: JSON.stringify(options) };
}

export interface ModernRunner {
  client: Client;
  transport: StdioClientTransport;
  stderr(): string;
}

/** The v2 client, pinned to 2026-07-28, over stdio to a runner (not connected yet). */
export function spawnModernRunner(
  options: RunnerOptions,
  capabilities: Record<string, unknown> = {},
): ModernRunner {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [RUNNER],
    env: runnerEnv(options),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const client = new Client(MODERN_CLIENT_INFO, {
    capabilities,
    versionNegotiation: { mode: { pin: MODERN } },
  });
  cleanups.add(() => client.close());
  return { client, transport, stderr: () => stderr };
}

type Line = Record<string, unknown> & { id?: unknown; method?: string };

/** A runner driven with raw JSON lines: every line it writes is kept. */
export interface LineRunner {
  child: ChildProcessWithoutNullStreams;
  lines: Line[];
  send(message: Record<string, unknown>): void;
  /** Waits for the response with this id. */
  answer(id: unknown, timeoutMs?: number): Promise<Line>;
  stderr(): string;
}

export function spawnLineRunner(options: RunnerOptions): LineRunner {
  const child = spawn(process.execPath, [RUNNER], { env: runnerEnv(options) });
  const lines: Line[] = [];
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    lines.push(JSON.parse(line) as Line);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  cleanups.add(async () => {
    child.stdin.end();
    if (child.exitCode === null && child.signalCode === null) await exited;
  });
  const find = (id: unknown) => lines.find((l) => l.id === id && l.method === undefined);
  return {
    child,
    lines,
    send: (message) => child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`),
    answer: async (id, timeoutMs) => {
      await waitFor(() => find(id) !== undefined, timeoutMs);
      return find(id) as Line;
    },
    stderr: () => stderr,
  };
}

/** Closes every client and runner these helpers started (afterEach). */
export async function closeModernRunners(): Promise<void> {
  const all = [...cleanups];
  cleanups.clear();
  await Promise.allSettled(all.map((close) => close()));
}
