// README snippets, type-checked with the package so the docs cannot rot.
// In your own project import from "@mcp-proxy/cluster". Run one replica with
// `REDIS_URL=redis://127.0.0.1:6379 MCP_PROXY_CLUSTER_SECRET=… npx tsx examples/cluster.examples.ts`.
import { ChildProcessTransport } from "@mcp-proxy/core";
import { startHTTPServer } from "@mcp-proxy/http-server";
import { RedisEventStore, RedisRegistry, redactUrl } from "../src/index.js";

export async function startReplica() {
  // #region replica
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const secret = process.env.MCP_PROXY_CLUSTER_SECRET; // the same on every replica
  if (!secret) throw new Error("set MCP_PROXY_CLUSTER_SECRET (at least 16 characters)");

  const eventStore = new RedisEventStore({ url });
  const handle = await startHTTPServer({
    createUpstream: () =>
      new ChildProcessTransport({
        command: "npx",
        args: ["-y", "@modelcontextprotocol/server-everything"],
      }),
    host: "0.0.0.0",
    port: 8080,
    cluster: {
      registry: new RedisRegistry({ url }),
      secret,
      // How the other replicas reach this one, e.g. http://10.0.0.5:8080 (default: guessed).
      advertise: process.env.MCP_PROXY_ADVERTISE,
    },
    // Events kept in Redis rather than in this process.
    eventStore,
  });
  console.error(`replica at ${handle.url}, cluster store ${redactUrl(url)}`);

  process.once("SIGTERM", async () => {
    await handle.close(); // drains, then leaves the registry
    await eventStore.close();
  });
  // #endregion replica
  return handle;
}

if (import.meta.url === `file://${process.argv[1]}`) await startReplica();
