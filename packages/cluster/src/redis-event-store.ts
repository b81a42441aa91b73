// Resumability across replicas: SSE events kept in Redis streams, one per SSE
// stream, so a client that reconnects with Last-Event-ID can be served by any
// replica. Bounded per stream (oldest trimmed) and in time (the key expires
// once its stream goes quiet). A resume that cannot be served whole is refused.
import { type Logger, silentLogger } from "@mcp-proxy/core";
import {
  DEFAULT_MAX_EVENTS_PER_STREAM,
  type EventId,
  EventNotAvailableError,
  type EventStore,
  type StreamId,
} from "@mcp-proxy/http-server";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Redis } from "ioredis";
import { ClusterStoreError, errorText } from "./errors.js";
import { DEFAULT_KEY_PREFIX, eventsKey } from "./keys.js";
import { LogThrottle } from "./log-throttle.js";
import { closeRedis, connectRedis } from "./redis-connection.js";

interface RedisEventStoreCommonOptions {
  /** Prefix of every key the store writes. Default `"mcp-proxy:"`. */
  keyPrefix?: string;
  /**
   * Events kept per stream, oldest trimmed first. Trimming is approximate (`MAXLEN ~`, which
   * Redis does in whole blocks of entries), so a stream may hold somewhat more. Default 1000.
   */
  maxEventsPerStream?: number;
  /** A stream with no new event for this long is deleted, in ms. Default 3600000 (1 h). */
  streamTtlMs?: number;
  /** Where connection and cleanup failures are reported. Default: silent. */
  logger?: Logger;
}

export type RedisEventStoreOptions = RedisEventStoreCommonOptions &
  (
    | {
        /** `redis://[user:password@]host:port[/db]` or `rediss://…`: the store opens, and `close()` quits, its own connection. */
        url: string;
        client?: never;
      }
    | {
        /** A connection of yours (shared with other uses, say): the store never quits it. */
        client: Redis;
        url?: never;
      }
  );

export const DEFAULT_STREAM_TTL_MS = 60 * 60 * 1000;

/**
 * Event ids are `<streamId>|<entry id>`. Redis entry ids are `<ms>-<seq>`, so the last `|` ends
 * the stream id, whatever the stream id holds (session ids have dots).
 */
const SEPARATOR = "|";
const ENTRY_ID = /^(\d{1,20})-(\d{1,20})$/;
/** The stream entry's one field: the message's JSON. */
const FIELD = "m";
const ROLE = "cluster event store";

/** http-server's `EventStore` on Redis streams: `startHTTPServer({ eventStore })`, shared by every replica. */
export class RedisEventStore implements EventStore {
  readonly #client: Redis;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #maxEvents: number;
  readonly #ttlMs: number;
  readonly #logger: Logger;
  readonly #cleanupFailures = new LogThrottle();
  #closing: Promise<void> | undefined;

  constructor(options: RedisEventStoreOptions) {
    this.#maxEvents = positive(
      "maxEventsPerStream",
      options.maxEventsPerStream ?? DEFAULT_MAX_EVENTS_PER_STREAM,
    );
    this.#ttlMs = positive("streamTtlMs", options.streamTtlMs ?? DEFAULT_STREAM_TTL_MS);
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#logger = options.logger ?? silentLogger;
    if ((options.url === undefined) === (options.client === undefined)) {
      throw new TypeError("RedisEventStore: give either url or client");
    }
    this.#owned = options.client === undefined;
    this.#client = options.client ?? connectRedis(options.url as string, this.#logger, ROLE);
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const key = eventsKey(this.#prefix, streamId);
    let entryId: unknown;
    try {
      // One round trip; the TTL restarts with every event, so a live stream never expires.
      const results = await this.#client
        .pipeline()
        .xadd(key, "MAXLEN", "~", this.#maxEvents, "*", FIELD, JSON.stringify(message))
        .pexpire(key, this.#ttlMs)
        .exec();
      const [error, id] = results?.[0] ?? [new Error("no reply")];
      if (error) throw error;
      entryId = id;
    } catch (error) {
      throw new ClusterStoreError(`store an event of stream ${streamId}`, error);
    }
    return `${streamId}${SEPARATOR}${entryId}`;
  }

  /** The stream `eventId` names, read from the id itself (no round trip); replay checks it exists. */
  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return parseEventId(eventId)?.streamId;
  }

  /**
   * Sends every event after `lastEventId`, in order, and resolves to its stream. Rejects with
   * EventNotAvailableError when the stream is gone (removed, expired or never written: reason
   * "unknown"), when events after it were trimmed ("evicted"), or when it was never issued.
   */
  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const parsed = parseEventId(lastEventId);
    if (!parsed) throw new EventNotAvailableError(lastEventId, "unknown");
    const { streamId, entryId } = parsed;
    const key = eventsKey(this.#prefix, streamId);
    let results: Array<[Error | null, unknown]> | null;
    try {
      // One transaction: trimming between the checks and the read would open a gap.
      results = await this.#client
        .multi()
        .xrange(key, entryId, entryId)
        .xrange(key, `(${entryId}`, "+")
        .xrange(key, "-", "+", "COUNT", 1)
        .exec();
    } catch (error) {
      throw new ClusterStoreError(`read stream ${streamId}`, error);
    }
    const failed = results?.find(([error]) => error)?.[0];
    if (!results || failed) throw new ClusterStoreError(`read stream ${streamId}`, failed);
    const [self, after, first] = results.map(([, value]) => value as Array<[string, string[]]>);
    if (!self?.length) {
      // Trimming only takes the oldest, so an id still held means everything after it is too.
      const oldest = first?.[0]?.[0];
      const evicted = oldest !== undefined && compareEntryIds(entryId, oldest) < 0;
      throw new EventNotAvailableError(lastEventId, evicted ? "evicted" : "unknown");
    }
    // Parsed before the first send: a bad entry refuses the resume instead of cutting it short.
    const missed: Array<[EventId, JSONRPCMessage]> = [];
    for (const [id, fields] of after ?? []) {
      const text = fields[fields.indexOf(FIELD) + 1];
      let message: JSONRPCMessage;
      try {
        message = JSON.parse(text as string) as JSONRPCMessage;
      } catch (error) {
        throw new EventNotAvailableError(lastEventId, "unknown", { cause: error });
      }
      missed.push([`${streamId}${SEPARATOR}${id}`, message]);
    }
    for (const [id, message] of missed) await send(id, message);
    return streamId;
  }

  /**
   * Deletes the stream's events. Never rejects: the server calls it while closing a session,
   * and a stream that could not be deleted expires after `streamTtlMs` anyway.
   */
  async removeStream(streamId: StreamId): Promise<void> {
    try {
      await this.#client.del(eventsKey(this.#prefix, streamId));
      this.#cleanupFailures.recovered(() => {});
    } catch (error) {
      this.#cleanupFailures.failed((skipped) =>
        this.#logger.warn(`${ROLE}: could not delete a stream; it expires on its own`, {
          stream: streamId,
          ttlMs: this.#ttlMs,
          error: errorText(error),
          ...(skipped > 0 ? { failuresNotLogged: skipped } : {}),
        }),
      );
    }
  }

  /** Quits the connection the store opened (a `client` given to it stays open). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#owned ? closeRedis(this.#client) : Promise.resolve();
    return this.#closing;
  }
}

function parseEventId(eventId: EventId): { streamId: StreamId; entryId: string } | undefined {
  const at = eventId.lastIndexOf(SEPARATOR);
  if (at <= 0) return undefined;
  const entryId = eventId.slice(at + 1);
  const parts = entryIdParts(entryId);
  // Redis refuses ids past 64 bits, and an exclusive range after the largest id: neither was issued.
  if (!parts || parts.every((part) => part === MAX_U64)) return undefined;
  return { streamId: eventId.slice(0, at), entryId };
}

const MAX_U64 = 2n ** 64n - 1n;

/** The two 64-bit parts of a `<ms>-<seq>` entry id, or undefined. */
function entryIdParts(entryId: string): [bigint, bigint] | undefined {
  const match = ENTRY_ID.exec(entryId);
  if (!match) return undefined;
  const parts: [bigint, bigint] = [BigInt(match[1] as string), BigInt(match[2] as string)];
  return parts.every((part) => part <= MAX_U64) ? parts : undefined;
}

/** Orders two entry ids as Redis does. */
function compareEntryIds(a: string, b: string): number {
  const [aMs, aSeq] = entryIdParts(a) ?? [0n, 0n];
  const [bMs, bSeq] = entryIdParts(b) ?? [0n, 0n];
  const diff = aMs !== bMs ? aMs - bMs : aSeq - bSeq;
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
}

/** A bound must be a whole number of at least 1: 0, a negative or NaN would keep nothing. */
function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(
      `RedisEventStore: ${name} must be a whole number of at least 1, got ${value}`,
    );
  }
  return value;
}
