// Replicas of our CLI joined through Redis behind HAProxy (round robin, no stickiness):
// the client speaks Streamable HTTP with sessions to HAProxy's frontend, so with N > 1
// replicas most calls land on a replica that does not own the session and go one hop on.
import { randomBytes } from "node:crypto";
import { startHaproxy, startRedis, type TestHaproxy, type TestRedis } from "@mcp-proxy/test-utils";
import { keepAliveAgent } from "./clients/http-request.js";
import type { ClientKind } from "./clients/types.js";
import { CLI_BIN, ECHO_SERVER, GC_HOOK_FLAGS } from "./paths.js";
import { freePort, type ServerProcess, spawnServer, waitForStderr } from "./proc.js";
import { msSince } from "./stats.js";
import { openHttp, type Target } from "./targets.js";

/** Health checks are a steady trickle of requests to each replica: one a second is enough here. */
const CHECK_INTERVAL_MS = 1000;

/**
 * `ours cluster×N`: a redis-server, N `mcp-proxy --cluster` replicas (one child per session)
 * and HAProxy in front. No memory or churn readings: sessions are spread over N processes.
 */
export function oursCluster(replicas: number): Target {
  return {
    name: `ours cluster×${replicas}`,
    system: "ours",
    transport: "stream",
    childPerSession: true,
    async start() {
      const secret = randomBytes(24).toString("hex");
      const agent = keepAliveAgent();
      const servers: ServerProcess[] = [];
      let redis: TestRedis | undefined;
      let lb: TestHaproxy | undefined;
      // The balancer first, then the replicas (each leaves the registry), Redis last.
      const stop = async () => {
        agent.destroy();
        await lb?.stop();
        await Promise.all(servers.map((s) => s.stop()));
        await redis?.stop();
      };
      try {
        redis = await startRedis();
        const registry = redis.url;
        const spawnedAt = process.hrtime.bigint();
        const backends = await Promise.all(
          Array.from({ length: replicas }, async (_, i) => {
            const port = await freePort();
            const server = spawnServer({
              command: process.execPath,
              args: [
                ...GC_HOOK_FLAGS,
                CLI_BIN,
                "--port",
                String(port),
                "--host",
                "127.0.0.1",
                "--cluster",
                registry,
                "--clusterSecret",
                secret,
                "--",
                process.execPath,
                ECHO_SERVER,
              ],
            });
            servers.push(server);
            await waitForStderr(server, /Streamable HTTP:\s+(\S+)/);
            return { name: `replica${i + 1}`, url: `http://127.0.0.1:${port}` };
          }),
        );
        lb = await startHaproxy({ backends, checkIntervalMs: CHECK_INTERVAL_MS });
        await lb.waitUntil(Object.fromEntries(backends.map((b) => [b.name, "UP" as const])));
        const url = new URL("/mcp", lb.url);
        const open = (kind: ClientKind) => openHttp("stream", kind, url, agent);
        const first = await open("lean");
        await first.call("echo", { text: "start" });
        const startupMs = msSince(spawnedAt);
        await first.close();
        return { url, startupMs, open, stop };
      } catch (error) {
        await stop();
        throw error;
      }
    },
  };
}
