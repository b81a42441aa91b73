// Redis goes away and comes back: calls fail with ClusterStoreError instead of hanging, the
// connection errors are logged once (not every reconnect), and a Redis restarted empty gets the
// replica's record back from its refresh.
import { startRedis, type TestRedis, waitFor } from "@mcp-proxy/test-utils";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ClusterStoreError, RedisEventStore, RedisRegistry } from "../src/index.js";
import { freshPrefix, recordingLogger } from "./helpers.js";

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

it("fails fast while Redis is down and recovers when it is back", async () => {
  const keyPrefix = freshPrefix();
  const { logger, lines } = recordingLogger();
  const registry = new RedisRegistry({ url: redis.url, keyPrefix, ttlMs: 300, logger });
  const store = new RedisEventStore({ url: redis.url, keyPrefix, logger });
  try {
    await registry.publish({ id: "a", url: "http://10.0.0.1:8080", draining: false });
    const eventId = await store.storeEvent("a.s1", { jsonrpc: "2.0", method: "ping", id: 1 });

    await redis.stop();
    // Bounded by the connection's retry and command limits, well within the test's timeout.
    const failures = await Promise.all([
      registry.lookup("b").catch((e: unknown) => e),
      registry.list().catch((e: unknown) => e),
      store.storeEvent("a.s1", { jsonrpc: "2.0", method: "ping", id: 2 }).catch((e: unknown) => e),
      store.replayEventsAfter(eventId, { send: async () => {} }).catch((e: unknown) => e),
    ]);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(ClusterStoreError);
      expect((failure as ClusterStoreError).code).toBe("ERR_CLUSTER_UNAVAILABLE");
    }
    // Cleanup never fails a session's close: the stream expires on its own.
    await store.removeStream("a.s1");

    // Every reconnect failed, and each connection said so once.
    const failed = lines.filter((line) => /Redis connection failed/.test(line.message));
    expect(failed.map((line) => line.message).sort()).toEqual([
      "cluster event store: Redis connection failed; reconnecting",
      "cluster registry: Redis connection failed; reconnecting",
    ]);

    // Restarted empty on the same port: the refresh writes the record back.
    redis = await startRedis({ port: redis.port });
    await waitFor(async () => (await registry.lookup("a")) !== undefined);
    expect(lines.filter((line) => line.level === "info").map((line) => line.message)).toContain(
      "cluster registry: Redis connection restored",
    );
  } finally {
    await registry.leave("a");
    await store.close();
  }
}, 15_000);
