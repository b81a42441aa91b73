// The systems under test. Each target starts its process(es), says which pid is "the
// proxy" for memory readings, and opens sessions with the lean or the SDK client.
import type { Agent } from "node:http";
import { keepAliveAgent } from "./clients/http-request.js";
import { openLeanSse } from "./clients/lean-sse.js";
import { openLeanStdio } from "./clients/lean-stdio.js";
import { openLeanStreamable } from "./clients/lean-streamable.js";
import { openSdkSse, openSdkStdio, openSdkStreamable } from "./clients/sdk.js";
import type { BenchSession, ClientKind } from "./clients/types.js";
import {
  CLI_BIN,
  ECHO_SERVER,
  GC_HOOK_FLAGS,
  type InstalledPackage,
  NULL_SERVER,
} from "./paths.js";
import {
  freePort,
  type MemoryReport,
  type ServerProcess,
  spawnServer,
  waitForPort,
  waitForStderr,
} from "./proc.js";
import { msSince } from "./stats.js";

export type Transport = "stdio" | "stream" | "stateless" | "sse" | "chain";

export interface Target {
  /** Unique label in the table, e.g. "ours stream". */
  name: string;
  /** Whose proxy: the floor (no proxy), ours, or a reference found installed. */
  system: "direct" | "ceiling" | "ours" | "mcp-proxy" | "supergateway";
  transport: Transport;
  /** True when every session gets its own child process. */
  childPerSession: boolean;
  /** Upper bound on concurrent sessions (the chain costs two processes per session). */
  maxSessions?: number;
  start(): Promise<RunningTarget>;
}

export interface RunningTarget {
  /** The proxy process whose RSS is reported; absent for direct stdio. */
  pid?: number;
  /** The HTTP endpoint, for HTTP targets. */
  url?: URL;
  /** From process spawn to the first answered tools/call, in ms. */
  startupMs: number;
  open(kind: ClientKind): Promise<BenchSession>;
  /** The proxy's last self-reported memory after a full GC (see gc-on-signal.ts). */
  memoryReport?(): MemoryReport | undefined;
  stop(): Promise<void>;
}

const NODE = process.execPath;
const FIXTURE: [string, string[]] = [NODE, [ECHO_SERVER]];

/** The floor: the client spawns the fixture itself and speaks stdio to it. */
export function directStdio(): Target {
  return {
    name: "direct stdio",
    system: "direct",
    transport: "stdio",
    childPerSession: true,
    async start() {
      const started = process.hrtime.bigint();
      const first = await openLeanStdio(...FIXTURE);
      await first.call("echo", { text: "start" });
      const startupMs = msSince(started);
      await first.close();
      return {
        startupMs,
        open: (kind) => (kind === "lean" ? openLeanStdio(...FIXTURE) : openSdkStdio(...FIXTURE)),
        stop: async () => {},
      };
    },
  };
}

/** How to launch an HTTP proxy in front of the fixture and where it serves. */
interface HttpProxySpec {
  name: string;
  system: Target["system"];
  transport: "stream" | "stateless" | "sse";
  childPerSession: boolean;
  /** Spawns the proxy; resolves with it and its endpoint URL once it accepts requests. */
  launch(): Promise<{ server: ServerProcess; url: URL }>;
}

function httpProxy(spec: HttpProxySpec): Target {
  return {
    name: spec.name,
    system: spec.system,
    transport: spec.transport,
    childPerSession: spec.childPerSession,
    async start() {
      const { server, url } = await spec.launch();
      const agent = keepAliveAgent();
      const open = (kind: ClientKind) => openHttp(spec.transport, kind, url, agent);
      const first = await open("lean");
      await first.call("echo", { text: "start" });
      const startupMs = msSince(server.spawnedAt);
      await first.close();
      return {
        pid: server.pid,
        url,
        startupMs,
        open,
        memoryReport: () => server.lastMemoryReport(),
        stop: async () => {
          agent.destroy();
          await server.stop();
        },
      };
    },
  };
}

/** A session of `kind` on an HTTP endpoint, through `agent` for the lean client. */
export function openHttp(
  transport: HttpProxySpec["transport"],
  kind: ClientKind,
  url: URL,
  agent: Agent,
): Promise<BenchSession> {
  if (transport === "sse") return kind === "lean" ? openLeanSse(url, agent) : openSdkSse(url);
  return kind === "lean" ? openLeanStreamable(url, agent) : openSdkStreamable(url);
}

/** Our built CLI: `node packages/cli/dist/bin.js --port 0 --host 127.0.0.1 [flags] -- node <fixture>`. */
export function oursHttp(transport: "stream" | "stateless" | "sse" | "shared"): Target {
  const flags =
    transport === "stateless" ? ["--stateless"] : transport === "shared" ? ["--shared"] : [];
  return httpProxy({
    name: `ours ${transport}`,
    system: "ours",
    transport: transport === "shared" ? "stream" : transport,
    childPerSession: transport === "stream" || transport === "sse",
    async launch() {
      const server = spawnServer({
        command: NODE,
        args: [
          ...GC_HOOK_FLAGS,
          CLI_BIN,
          "--port",
          "0",
          "--host",
          "127.0.0.1",
          ...flags,
          "--",
          ...FIXTURE.flat(),
        ],
      });
      const line = transport === "sse" ? /SSE:\s+(\S+)/ : /Streamable HTTP:\s+(\S+)/;
      return { server, url: new URL(await waitForStderr(server, line)) };
    },
  });
}

/** The client ceiling: an HTTP endpoint that answers by itself, with no upstream. */
export function nullHttp(): Target {
  return httpProxy({
    name: "null http (ceiling)",
    system: "ceiling",
    transport: "stream",
    childPerSession: false,
    async launch() {
      const server = spawnServer({ command: NODE, args: [...GC_HOOK_FLAGS, NULL_SERVER] });
      return { server, url: new URL(await waitForStderr(server, /Streamable HTTP:\s+(\S+)/)) };
    },
  });
}

/** stdio-client in front of http-server: the SDK/lean stdio client spawns `mcp-proxy stdio <url>`. */
export function oursChain(): Target {
  const backend = oursHttp("stream");
  return {
    name: "ours stdio→http",
    system: "ours",
    transport: "chain",
    childPerSession: true,
    maxSessions: 16,
    async start() {
      const spawnedAt = process.hrtime.bigint();
      const http = await backend.start();
      if (!http.url) throw new Error("the backend has no URL");
      const front: [string, string[]] = [
        NODE,
        [CLI_BIN, "stdio", "--transport", "stream", http.url.href],
      ];
      const first = await openLeanStdio(...front);
      await first.call("echo", { text: "start" });
      const startupMs = msSince(spawnedAt);
      await first.close();
      return {
        ...(http.pid === undefined ? {} : { pid: http.pid }),
        startupMs,
        open: (kind) => (kind === "lean" ? openLeanStdio(...front) : openSdkStdio(...front)),
        stop: () => http.stop(),
      };
    },
  };
}

/**
 * The reference `mcp-proxy` CLI (punkpeye/mcp-proxy), when installed:
 * `mcp-proxy --port P --host 127.0.0.1 [--stateless] -- node <fixture>`, `/mcp` and `/sse`.
 */
export function referenceMcpProxy(
  pkg: InstalledPackage,
  transport: HttpProxySpec["transport"],
): Target {
  return httpProxy({
    name: `mcp-proxy@${pkg.version} ${transport}`,
    system: "mcp-proxy",
    transport,
    childPerSession: transport !== "stateless",
    async launch() {
      const port = await freePort();
      const flags = transport === "stateless" ? ["--stateless"] : [];
      const server = spawnServer({
        command: NODE,
        args: [
          ...GC_HOOK_FLAGS,
          pkg.bin,
          "--port",
          String(port),
          "--host",
          "127.0.0.1",
          ...flags,
          "--",
          ...FIXTURE.flat(),
        ],
      });
      await waitForPort(port);
      const path = transport === "sse" ? "/sse" : "/mcp";
      return { server, url: new URL(`http://127.0.0.1:${port}${path}`) };
    },
  });
}

/**
 * `supergateway`, when installed: `--stdio "<cmd>" --outputTransport streamableHttp|sse`
 * (`--stateful` for sessions), `/mcp` and `/sse`.
 */
export function referenceSupergateway(
  pkg: InstalledPackage,
  transport: HttpProxySpec["transport"],
): Target {
  return httpProxy({
    name: `supergateway@${pkg.version} ${transport}`,
    system: "supergateway",
    transport,
    childPerSession: transport === "stream",
    async launch() {
      const port = await freePort();
      const output =
        transport === "sse"
          ? ["--outputTransport", "sse"]
          : ["--outputTransport", "streamableHttp"];
      const flags = transport === "stream" ? ["--stateful"] : [];
      const server = spawnServer({
        command: NODE,
        args: [
          ...GC_HOOK_FLAGS,
          pkg.bin,
          "--stdio",
          `${JSON.stringify(NODE)} ${JSON.stringify(ECHO_SERVER)}`,
          "--port",
          String(port),
          ...output,
          ...flags,
          "--logLevel",
          "none",
        ],
      });
      await waitForPort(port);
      const path = transport === "sse" ? "/sse" : "/mcp";
      return { server, url: new URL(`http://127.0.0.1:${port}${path}`) };
    },
  });
}
