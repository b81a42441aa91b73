// cluster's public surface, name by name: a new export (or a lost one) is a decision made
// here on purpose, not a side effect. Types are the compiler's to check.
import { expect, it } from "vitest";

it("exports exactly its public names", async () => {
  expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
    "ClusterStoreError",
    "DEFAULT_KEY_PREFIX",
    "DEFAULT_REPLICA_TTL_MS",
    "DEFAULT_STREAM_TTL_MS",
    "RedisEventStore",
    "RedisRegistry",
    "redactUrl",
  ]);
});
