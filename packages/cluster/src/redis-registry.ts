// The cluster registry on Redis: each replica's record is a key with a TTL
// that the replica refreshes while it lives, so a replica that dies without
// leaving drops out within the TTL. A set of ids lets list() find them all.
import { type Logger, silentLogger } from "@mcp-proxy/core";
import type { ClusterRegistry, ReplicaRecord } from "@mcp-proxy/http-server";
import type { Redis } from "ioredis";
import { ClusterStoreError, errorText } from "./errors.js";
import { DEFAULT_KEY_PREFIX, replicaKey, replicasKey } from "./keys.js";
import { LogThrottle } from "./log-throttle.js";
import { closeRedis, connectRedis } from "./redis-connection.js";

export interface RedisRegistryOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS. */
  url: string;
  /** Prefix of every key the registry writes. Default `"mcp-proxy:"`. */
  keyPrefix?: string;
  /**
   * How long a record outlives its replica's last refresh, in ms; the replica refreshes it every
   * third of this. A replica that dies without leaving is looked up for at most this long (plus
   * the one-second lookup cache). Default 15000; at least 100.
   */
  ttlMs?: number;
  /** Where connection and refresh failures are reported. Default: silent. */
  logger?: Logger;
}

export const DEFAULT_REPLICA_TTL_MS = 15_000;
const MIN_REPLICA_TTL_MS = 100;
/**
 * lookup() runs on every forwarded request, so live records are cached this long: a replica
 * that starts draining is seen as such within it. Misses are not cached: a replica that just
 * published must be found by the next request.
 */
const LOOKUP_CACHE_MS = 1_000;
/** Past this many cached ids, expired ones are swept on insert (replicas come and go). */
const LOOKUP_CACHE_SWEEP_SIZE = 256;

const ROLE = "cluster registry";

/** http-server's `ClusterRegistry` on Redis: give one to `startHTTPServer({ cluster: { registry } })`. */
export class RedisRegistry implements ClusterRegistry {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #cacheMs: number;
  readonly #logger: Logger;
  readonly #refreshFailures = new LogThrottle();
  readonly #cache = new Map<string, { record: ReplicaRecord; until: number }>();
  /** This replica's record as last published, and its JSON. */
  #own: { record: ReplicaRecord; json: string } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #leaving: Promise<void> | undefined;

  constructor(options: RedisRegistryOptions) {
    const ttlMs = options.ttlMs ?? DEFAULT_REPLICA_TTL_MS;
    if (!Number.isInteger(ttlMs) || ttlMs < MIN_REPLICA_TTL_MS) {
      throw new TypeError(
        `RedisRegistry: ttlMs must be a whole number of at least ${MIN_REPLICA_TTL_MS}, got ${ttlMs}`,
      );
    }
    this.#ttlMs = ttlMs;
    this.#cacheMs = Math.min(LOOKUP_CACHE_MS, ttlMs);
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#logger = options.logger ?? silentLogger;
    this.#client = connectRedis(options.url, this.#logger, ROLE);
  }

  /**
   * Writes this replica's record and keeps it alive until `leave`. Republishing (to start
   * draining) replaces it; a registry publishes one replica, so another id is refused.
   */
  async publish(record: ReplicaRecord): Promise<void> {
    if (this.#leaving) throw new Error("RedisRegistry: publish after leave");
    if (this.#own && this.#own.record.id !== record.id) {
      throw new TypeError(
        `RedisRegistry: this registry publishes replica ${this.#own.record.id}, not ${record.id}`,
      );
    }
    const own = Object.freeze({ id: record.id, url: record.url, draining: record.draining });
    this.#own = { record: own, json: JSON.stringify(own) };
    // This replica sees its own change at once, whatever the cache held.
    this.#remember(own);
    // Started before the first write, so that a publish that fails is retried by the refresh.
    this.#timer ??= setInterval(() => this.#refresh(), Math.floor(this.#ttlMs / 3)).unref();
    try {
      await this.#write();
    } catch (error) {
      throw new ClusterStoreError(`publish replica ${own.id}`, error);
    }
  }

  /** The live record of replica `id`, or undefined; garbage under its key reads as undefined. */
  async lookup(id: string): Promise<ReplicaRecord | undefined> {
    const cached = this.#cache.get(id);
    if (cached && cached.until > Date.now()) return cached.record;
    let text: string | null;
    try {
      text = await this.#client.get(replicaKey(this.#prefix, id));
    } catch (error) {
      throw new ClusterStoreError(`look up replica ${id}`, error);
    }
    const record = parseRecord(text, id);
    if (record) this.#remember(record);
    else this.#cache.delete(id);
    return record;
  }

  /** Every live replica's record, by id; ids whose record expired are dropped from the set. */
  async list(): Promise<ReplicaRecord[]> {
    let ids: string[];
    let texts: Array<string | null>;
    try {
      ids = (await this.#client.smembers(replicasKey(this.#prefix))).sort();
      if (ids.length === 0) return [];
      texts = await this.#client.mget(ids.map((id) => replicaKey(this.#prefix, id)));
    } catch (error) {
      throw new ClusterStoreError("list replicas", error);
    }
    const records: ReplicaRecord[] = [];
    const expired: string[] = [];
    ids.forEach((id, i) => {
      const text = texts[i] ?? null;
      if (text === null) expired.push(id);
      const record = parseRecord(text, id);
      if (record) records.push(record);
    });
    if (expired.length > 0) {
      // Housekeeping only: a replica whose refresh raced this SREM adds itself back with its
      // next refresh, so a failure here is no reason to fail the listing.
      try {
        await this.#client.srem(replicasKey(this.#prefix), ...expired);
      } catch (error) {
        this.#logger.debug(`${ROLE}: could not drop expired replica ids`, { error });
      }
    }
    return records;
  }

  /**
   * Stops refreshing, deletes replica `id`'s record and quits the connection. If Redis cannot be
   * reached the record is left to expire (within `ttlMs`): a shutdown is not failed for it.
   * Idempotent; the registry cannot be used afterwards.
   */
  leave(id: string): Promise<void> {
    this.#leaving ??= this.#leave(id);
    return this.#leaving;
  }

  async #leave(id: string): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    // A refresh still in flight would write the record back after the delete.
    await this.#refreshing;
    this.#cache.delete(id);
    try {
      await this.#client
        .multi()
        .del(replicaKey(this.#prefix, id))
        .srem(replicasKey(this.#prefix), id)
        .exec();
    } catch (error) {
      this.#logger.warn(`${ROLE}: could not remove replica ${id}; it expires on its own`, {
        ttlMs: this.#ttlMs,
        error,
      });
    }
    await closeRedis(this.#client);
  }

  /** Sets the record with its TTL and (re)adds its id to the set, in one transaction. */
  async #write(): Promise<void> {
    const own = this.#own;
    if (!own) return;
    const results = await this.#client
      .multi()
      .set(replicaKey(this.#prefix, own.record.id), own.json, "PX", this.#ttlMs)
      .sadd(replicasKey(this.#prefix), own.record.id)
      .exec();
    const failed = results?.find(([error]) => error)?.[0];
    if (failed) throw failed;
  }

  #refresh(): void {
    // One at a time: while Redis is slow or down, ticks would pile up behind each other.
    if (this.#refreshing || this.#leaving) return;
    this.#refreshing = this.#write()
      .then(
        () =>
          this.#refreshFailures.recovered(() =>
            this.#logger.info(`${ROLE}: refreshing this replica's record works again`),
          ),
        (error: unknown) =>
          this.#refreshFailures.failed((skipped) =>
            this.#logger.warn(
              `${ROLE}: refreshing this replica's record failed; it expires unless a retry succeeds`,
              {
                replica: this.#own?.record.id,
                ttlMs: this.#ttlMs,
                error: errorText(error),
                ...(skipped > 0 ? { failuresNotLogged: skipped } : {}),
              },
            ),
          ),
      )
      .finally(() => {
        this.#refreshing = undefined;
      });
  }

  #remember(record: ReplicaRecord): void {
    const now = Date.now();
    if (this.#cache.size >= LOOKUP_CACHE_SWEEP_SIZE) {
      for (const [id, entry] of this.#cache) if (entry.until <= now) this.#cache.delete(id);
    }
    this.#cache.set(record.id, { record, until: now + this.#cacheMs });
  }
}

/** The record in `text` if it is one, for replica `id`; anything else is undefined. */
function parseRecord(text: string | null, id: string): ReplicaRecord | undefined {
  if (text === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { id: recordId, url, draining } = value as Record<string, unknown>;
  if (recordId !== id || typeof url !== "string" || typeof draining !== "boolean") return undefined;
  return Object.freeze({ id, url, draining });
}
