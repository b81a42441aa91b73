// RedisEventStore against a real redis-server: replay in order from another connection (as
// another replica would), whole or refused, trimming, TTL and removal.
import { randomUUID } from "node:crypto";
import { EventNotAvailableError } from "@mcp-proxy/http-server";
import { startRedis, type TestRedis } from "@mcp-proxy/test-utils";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ClusterStoreError, RedisEventStore } from "../src/index.js";
import { freshPrefix } from "./helpers.js";

let redis: TestRedis;
let raw: Redis;
const opened: RedisEventStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await raw?.quit();
  await redis?.stop();
});

function open(options: { keyPrefix: string; maxEventsPerStream?: number; streamTtlMs?: number }) {
  const store = new RedisEventStore({ url: redis.url, ...options });
  opened.push(store);
  return store;
}

/** A stream id shaped like the server's: `<replica>.<session uuid>.<stream uuid>`. */
function streamIdOf(): string {
  return `r1.${randomUUID()}.${randomUUID()}`;
}

function notification(n: number): JSONRPCMessage {
  return { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: n } };
}

/** Replays after `lastEventId` into an array. */
async function replay(store: RedisEventStore, lastEventId: string) {
  const sent: Array<[string, JSONRPCMessage]> = [];
  const streamId = await store.replayEventsAfter(lastEventId, {
    send: async (id, message) => void sent.push([id, message]),
  });
  return { streamId, sent };
}

/** The reason replaying after `lastEventId` is refused, checking that nothing was sent. */
async function refusal(store: RedisEventStore, lastEventId: string) {
  const send = vi.fn(async () => {});
  const error = await store.replayEventsAfter(lastEventId, { send }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EventNotAvailableError);
  expect(send).not.toHaveBeenCalled();
  return (error as EventNotAvailableError).reason;
}

describe("RedisEventStore", () => {
  it("replays the events after an id, in order, from another connection", async () => {
    const keyPrefix = freshPrefix();
    const writer = open({ keyPrefix });
    const streamId = streamIdOf();
    const ids: string[] = [];
    for (let n = 1; n <= 3; n++) ids.push(await writer.storeEvent(streamId, notification(n)));
    expect(ids.every((id) => id.startsWith(`${streamId}|`))).toBe(true);

    // Another replica: its own store, on a connection it lends (and keeps).
    const lent = new Redis(redis.url);
    const reader = new RedisEventStore({ client: lent, keyPrefix });
    try {
      expect(await reader.getStreamIdForEventId(ids[0] as string)).toBe(streamId);
      expect(await replay(reader, ids[0] as string)).toEqual({
        streamId,
        sent: [
          [ids[1], notification(2)],
          [ids[2], notification(3)],
        ],
      });
      expect(await replay(reader, ids[2] as string)).toEqual({ streamId, sent: [] });
      await reader.close();
      expect(await lent.ping()).toBe("PONG");
    } finally {
      await lent.quit();
    }
  });

  it("trims the oldest events and refuses a resume from before them (evicted)", async () => {
    const keyPrefix = freshPrefix();
    const store = open({ keyPrefix, maxEventsPerStream: 5 });
    const streamId = streamIdOf();
    const ids: string[] = [];
    // MAXLEN ~ trims whole blocks of entries (100 by default): write past a few of them.
    for (let n = 0; n < 250; n++) ids.push(await store.storeEvent(streamId, notification(n)));
    const kept = await raw.xlen(`${keyPrefix}events:${streamId}`);
    expect(kept).toBeGreaterThanOrEqual(5);
    expect(kept).toBeLessThan(250);

    expect(await refusal(store, ids[0] as string)).toBe("evicted");
    expect((await replay(store, ids[248] as string)).sent).toEqual([[ids[249], notification(249)]]);
  });

  it("tells evicted from never issued by the entries still held", async () => {
    const keyPrefix = freshPrefix();
    const store = open({ keyPrefix });
    const streamId = streamIdOf();
    const key = `${keyPrefix}events:${streamId}`;
    for (const id of ["100-1", "100-5", "100-9"]) {
      await raw.xadd(key, id, "m", JSON.stringify(notification(1)));
    }
    await raw.xtrim(key, "MAXLEN", 2);

    expect(await refusal(store, `${streamId}|100-1`)).toBe("evicted");
    expect(await refusal(store, `${streamId}|99-0`)).toBe("evicted");
    // Between two entries held, or after the last: never issued.
    expect(await refusal(store, `${streamId}|100-7`)).toBe("unknown");
    expect(await refusal(store, `${streamId}|200-0`)).toBe("unknown");
    expect((await replay(store, `${streamId}|100-5`)).sent).toHaveLength(1);
  });

  it("refuses ids it cannot read, streams it does not hold and entries that are not messages", async () => {
    const keyPrefix = freshPrefix();
    const store = open({ keyPrefix });
    const streamId = streamIdOf();
    await store.storeEvent(streamId, notification(1));
    for (const id of [
      "nope",
      `${streamId}|abc`,
      "|1-0",
      `${streamId}|18446744073709551616-0`,
      `${streamIdOf()}|1-0`,
    ]) {
      expect(await refusal(store, id)).toBe("unknown");
    }
    expect(await store.getStreamIdForEventId("nope")).toBeUndefined();

    const key = `${keyPrefix}events:${streamId}`;
    const entries = await raw.xrange(key, "-", "+");
    const first = entries[0]?.[0] as string;
    await raw.xadd(key, "*", "m", "{not json");
    expect(await refusal(store, `${streamId}|${first}`)).toBe("unknown");
  });

  it("gives a stream a TTL that every event restarts", async () => {
    const keyPrefix = freshPrefix();
    const store = open({ keyPrefix, streamTtlMs: 60_000 });
    const streamId = streamIdOf();
    const key = `${keyPrefix}events:${streamId}`;
    await store.storeEvent(streamId, notification(1));
    await raw.persist(key);
    expect(await raw.pttl(key)).toBe(-1);
    await store.storeEvent(streamId, notification(2));
    const ttl = await raw.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("removes a stream: a resume is then unknown", async () => {
    const keyPrefix = freshPrefix();
    const store = open({ keyPrefix });
    const streamId = streamIdOf();
    const id = await store.storeEvent(streamId, notification(1));
    await store.storeEvent(streamId, notification(2));
    await store.removeStream(streamId);
    expect(await raw.exists(`${keyPrefix}events:${streamId}`)).toBe(0);
    expect(await refusal(store, id)).toBe("unknown");
  });

  it("closes the connection it opened, once", async () => {
    const store = new RedisEventStore({ url: redis.url, keyPrefix: freshPrefix() });
    await store.storeEvent(streamIdOf(), notification(1));
    await Promise.all([store.close(), store.close()]);
    await expect(store.storeEvent(streamIdOf(), notification(2))).rejects.toBeInstanceOf(
      ClusterStoreError,
    );
  });

  it("refuses options it cannot work with", () => {
    const options = { keyPrefix: "x:" };
    expect(() => new RedisEventStore(options as never)).toThrow(/either url or client/);
    expect(() => new RedisEventStore({ ...options, url: redis.url, client: raw } as never)).toThrow(
      /either url or client/,
    );
    expect(() => new RedisEventStore({ client: raw, maxEventsPerStream: 0 })).toThrow(
      /maxEventsPerStream/,
    );
    expect(() => new RedisEventStore({ client: raw, streamTtlMs: 1.5 })).toThrow(/streamTtlMs/);
  });
});
