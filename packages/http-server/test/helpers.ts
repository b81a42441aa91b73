// Shared test plumbing: start servers against the echo fixture, connect SDK
// clients, and clean everything up after each test.
import { ChildProcessTransport, type Logger } from "@mcp-proxy/core";
import { echoServerCommand } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { afterEach } from "vitest";
import {
  type HTTPServerHandle,
  type StartHTTPServerOptions,
  startHTTPServer,
} from "../src/index.js";

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  const all = cleanups.splice(0).reverse();
  for (const cleanup of all) await cleanup().catch(() => undefined);
});

export function onCleanup(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}

export const echoUpstream =
  (args: string[] = []) =>
  () =>
    new ChildProcessTransport(echoServerCommand(args));

/** An echo upstream factory that records each child's pid once it has started (for liveness checks). */
export const pidRecordingEchoUpstream = (pids: number[]) => () => {
  const t = echoUpstream()();
  const start = t.start.bind(t);
  t.start = async () => {
    await start();
    if (t.pid) pids.push(t.pid);
  };
  return t;
};

/** Starts a server on 127.0.0.1:0 in front of the echo fixture (unless told otherwise). */
export async function startEcho(
  options: Partial<StartHTTPServerOptions> = {},
): Promise<HTTPServerHandle> {
  const handle = await startHTTPServer({
    port: 0,
    host: "127.0.0.1",
    ...(options.createServer ? {} : { createUpstream: echoUpstream() }),
    ...options,
  });
  onCleanup(() => handle.close());
  return handle;
}

export interface ClientOptions {
  headers?: Record<string, string>;
  capabilities?: ClientCapabilities;
}

export async function connectStreamable(url: string, options: ClientOptions = {}): Promise<Client> {
  const client = new Client(
    { name: "test", version: "1.0.0" },
    { capabilities: options.capabilities ?? {} },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: options.headers },
  });
  await client.connect(transport);
  onCleanup(() => client.close());
  return client;
}

export async function connectSse(url: string, options: ClientOptions = {}): Promise<Client> {
  const client = new Client(
    { name: "test", version: "1.0.0" },
    { capabilities: options.capabilities ?? {} },
  );
  const transport = new SSEClientTransport(new URL(url), {
    requestInit: { headers: options.headers },
    eventSourceInit: options.headers
      ? {
          fetch: (input, init) =>
            fetch(input, {
              ...init,
              headers: { ...(init?.headers as Record<string, string>), ...options.headers },
            }),
        }
      : undefined,
  });
  await client.connect(transport);
  onCleanup(() => client.close());
  return client;
}

export const textOf = (result: unknown): string =>
  ((result as { content: Array<{ type: string; text?: string }> }).content[0]?.text ??
    "") as string;

export const JSON_HEADERS = {
  "Content-Type": "application/json",
  Accept: "application/json, text/event-stream",
};

export const initializeBody = (id: number | string = 1) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  },
});

/** A raw POST of `body` to `${base}/mcp` with JSON_HEADERS, overridden or extended by `headers`. */
export function postMcp(
  base: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${base}/mcp`, {
    method: "POST",
    headers: { ...JSON_HEADERS, ...headers },
    body,
  });
}

/** Initializes over raw fetch and returns the session id. */
export async function rawInitialize(
  base: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await postMcp(base, JSON.stringify(initializeBody()), headers);
  const sessionId = res.headers.get("mcp-session-id");
  await res.text();
  if (!sessionId) throw new Error(`no session id (status ${res.status})`);
  await postMcp(base, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), {
    ...headers,
    "Mcp-Session-Id": sessionId,
  }).then((r) => r.text());
  return sessionId;
}

/** A logger that keeps every info, warn and error line (debug is dropped). */
export function recordingLogger(): {
  logger: Logger;
  lines: Array<[string, Record<string, unknown>]>;
} {
  const lines: Array<[string, Record<string, unknown>]> = [];
  const record = (message: string, fields: Record<string, unknown> = {}) =>
    void lines.push([message, fields]);
  return { lines, logger: { debug: () => {}, info: record, warn: record, error: record } };
}
