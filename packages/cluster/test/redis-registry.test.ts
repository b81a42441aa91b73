// RedisRegistry against a real redis-server: records, TTL expiry, garbage, the lookup cache,
// and a replica that loses Redis (its ACL user is deleted) dropping out and coming back.
import { randomUUID } from "node:crypto";
import type { ReplicaRecord } from "@mcp-proxy/http-server";
import { startRedis, type TestRedis, waitFor } from "@mcp-proxy/test-utils";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ClusterStoreError, RedisRegistry, type RedisRegistryOptions } from "../src/index.js";
import { freshPrefix, recordingLogger } from "./helpers.js";

let redis: TestRedis;
let raw: Redis;
const opened: Array<{ registry: RedisRegistry; id: string }> = [];

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map(({ registry, id }) => registry.leave(id)));
});

afterAll(async () => {
  await raw?.quit();
  await redis?.stop();
});

/** A registry on the test Redis, left after the test (as replica `id` if it published). */
function open(options: Partial<RedisRegistryOptions> & { keyPrefix: string }, id = "none") {
  const registry = new RedisRegistry({ url: redis.url, ...options });
  opened.push({ registry, id });
  return registry;
}

function record(id: string, draining = false): ReplicaRecord {
  return { id, url: `http://10.0.0.${id.length}:8080`, draining };
}

describe("RedisRegistry", () => {
  it("publishes a record with a TTL that lookup and list return; leave removes it", async () => {
    const keyPrefix = freshPrefix();
    const registry = new RedisRegistry({ url: redis.url, keyPrefix });
    await registry.publish(record("a"));

    expect(await registry.lookup("a")).toEqual(record("a"));
    expect(await registry.list()).toEqual([record("a")]);
    const ttl = await raw.pttl(`${keyPrefix}replica:a`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(15_000);
    expect(await raw.smembers(`${keyPrefix}replicas`)).toEqual(["a"]);

    // Republishing (draining) is seen at once, cached lookup or not.
    await registry.publish(record("a", true));
    expect(await registry.lookup("a")).toEqual(record("a", true));
    await expect(registry.publish(record("b"))).rejects.toThrow(/publishes replica a, not b/);

    await registry.leave("a");
    expect(await raw.exists(`${keyPrefix}replica:a`)).toBe(0);
    expect(await raw.sismember(`${keyPrefix}replicas`, "a")).toBe(0);
    // The connection is released: the registry cannot be used afterwards.
    await expect(registry.lookup("a")).rejects.toBeInstanceOf(ClusterStoreError);
    await expect(registry.publish(record("a"))).rejects.toThrow(/after leave/);
    await registry.leave("a");
  });

  it("lets two replicas see each other", async () => {
    const keyPrefix = freshPrefix();
    const a = open({ keyPrefix }, "a");
    const b = open({ keyPrefix }, "bb");
    await a.publish(record("a"));
    await b.publish(record("bb"));

    expect(await a.lookup("bb")).toEqual(record("bb"));
    expect(await b.lookup("a")).toEqual(record("a"));
    expect(await a.list()).toEqual([record("a"), record("bb")]);
    expect(await b.list()).toEqual([record("a"), record("bb")]);
  });

  it("does not cache misses: a replica that just published is found by the next lookup", async () => {
    const keyPrefix = freshPrefix();
    const reader = open({ keyPrefix });
    expect(await reader.lookup("late")).toBeUndefined();
    await open({ keyPrefix }, "late").publish(record("late"));
    expect(await reader.lookup("late")).toEqual(record("late"));
  });

  it("caches a found record for at most a second", async () => {
    const keyPrefix = freshPrefix();
    await open({ keyPrefix }, "a").publish(record("a"));
    const reader = open({ keyPrefix });
    vi.useFakeTimers({ toFake: ["Date"] });

    expect(await reader.lookup("a")).toEqual(record("a"));
    await raw.del(`${keyPrefix}replica:a`);
    expect(await reader.lookup("a")).toEqual(record("a"));
    vi.setSystemTime(Date.now() + 1_000);
    expect(await reader.lookup("a")).toBeUndefined();
  });

  it("reads anything but a well-formed record for the id as undefined", async () => {
    const keyPrefix = freshPrefix();
    const garbage: Record<string, string> = {
      text: "not json",
      number: "42",
      null: "null",
      otherId: JSON.stringify({ id: "someone-else", url: "http://x:1", draining: false }),
      badUrl: JSON.stringify({ id: "badUrl", url: 5, draining: false }),
      badDraining: JSON.stringify({ id: "badDraining", url: "http://x:1", draining: "no" }),
    };
    for (const [id, text] of Object.entries(garbage)) {
      await raw.set(`${keyPrefix}replica:${id}`, text);
      await raw.sadd(`${keyPrefix}replicas`, id);
    }
    const registry = open({ keyPrefix }, "good");
    await registry.publish(record("good"));

    for (const id of Object.keys(garbage)) expect(await registry.lookup(id)).toBeUndefined();
    expect(await registry.list()).toEqual([record("good")]);
  });

  it("drops a replica that cannot refresh within its TTL, and takes it back once it can", async () => {
    const keyPrefix = freshPrefix();
    const user = `replica-${randomUUID().slice(0, 8)}`;
    const password = `pw-${randomUUID()}`;
    const grant = () => raw.acl("SETUSER", user, "on", `>${password}`, "~*", "+@all");
    await grant();
    const { logger, lines } = recordingLogger();
    const url = `redis://${user}:${password}@127.0.0.1:${redis.port}`;
    const lost = new RedisRegistry({ url, keyPrefix, ttlMs: 300, logger });
    opened.push({ registry: lost, id: "lost" });
    const reader = open({ keyPrefix, ttlMs: 300 });
    await lost.publish(record("lost"));

    // The refresh writes back a record that vanished (as after a Redis restart).
    await raw.del(`${keyPrefix}replica:lost`);
    await waitFor(async () => (await reader.lookup("lost")) !== undefined);

    // Deleting its user cuts its connection and refuses its reconnects: refreshes fail.
    await raw.acl("DELUSER", user);
    await waitFor(async () => (await reader.lookup("lost")) === undefined);
    expect(await reader.list()).toEqual([]);
    expect(await raw.sismember(`${keyPrefix}replicas`, "lost")).toBe(0);
    await waitFor(() => lines.some((line) => /refreshing .* failed/.test(line.message)));

    // It keeps trying: once it may connect again, its record and its id are back.
    await grant();
    await waitFor(async () => (await reader.lookup("lost")) !== undefined);
    await waitFor(async () => (await raw.sismember(`${keyPrefix}replicas`, "lost")) === 1);
    await waitFor(() => lines.some((line) => /works again/.test(line.message)));

    // Logged with the URL, never with its password.
    expect(lines.map((line) => line.fields.url)).toContain(
      `redis://${user}:***@127.0.0.1:${redis.port}`,
    );
    expect(JSON.stringify(lines)).not.toContain(password);
    await lost.leave("lost");
    await raw.acl("DELUSER", user);
  }, 15_000);

  it("refuses a bad url or ttl without printing the password", () => {
    expect(() => new RedisRegistry({ url: "http://app:hunter2@redis:6379" })).toThrow(
      "url must be redis://[user:password@]host:port[/db] or rediss://…, got http://app:***@redis:6379",
    );
    expect(() => new RedisRegistry({ url: redis.url, ttlMs: 50 })).toThrow(/ttlMs/);
  });
});
