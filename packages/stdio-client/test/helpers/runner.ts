// Spawns the stdio runner fixture and connects the SDK's stdio client to it.
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const RUNNER = fileURLToPath(new URL("../fixtures/stdio-runner.mjs", import.meta.url));

export interface RunnerOptions {
  url: string;
  transport?: "stream" | "sse" | "auto";
  protocol?: "legacy" | "auto" | "modern";
  headers?: Record<string, string>;
  bearer?: string;
  countHeader?: string;
  sslCa?: string;
  sslCert?: string;
  sslKey?: string;
  connectTimeout?: number;
  requestTimeout?: number;
  /** The reference package's names (JSON-able forms only). */
  serverType?: "SSE" | "HTTPStream";
  upstreamProtocol?: "legacy" | "auto" | "modern";
  transportOptions?: {
    requestInit?: { headers?: Record<string, string> | [string, string][] };
    reconnectionOptions?: Record<string, number>;
  };
}

export interface Runner {
  client: Client;
  transport: StdioClientTransport;
  stderr(): string;
  /** Closes stdin (as a desktop client does) and waits for the process to exit. */
  close(): Promise<void>;
}

const running = new Set<Runner>();

/** Spawns the runner; `env` adds to a minimal environment (no proxy variables leak in). */
export function spawnRunner(options: RunnerOptions, env: Record<string, string> = {}): Runner {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [RUNNER],
    env: { PATH: process.env.PATH ?? "", STDIO_RUNNER_OPTIONS: JSON.stringify(options), ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const client = new Client(
    { name: "stdio-client-test", version: "1.0.0" },
    { capabilities: { sampling: {}, roots: { listChanged: true } } },
  );
  const runner: Runner = {
    client,
    transport,
    stderr: () => stderr,
    close: async () => {
      running.delete(runner);
      await client.close();
    },
  };
  running.add(runner);
  return runner;
}

/** Closes every runner still running (afterEach). */
export async function closeRunners(): Promise<void> {
  await Promise.allSettled([...running].map((r) => r.close()));
}
