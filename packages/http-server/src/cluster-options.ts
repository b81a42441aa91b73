// What joins replicas of one proxy into a cluster: where each replica is
// reached (the registry) and how they trust each other (the shared secret).
// The registry is an interface so that http-server carries no store client:
// @mcp-proxy/cluster implements it on Redis.

/** One replica as the others see it. */
export interface ReplicaRecord {
  /** The replica's id: 1 to 32 characters of [A-Za-z0-9_-]; it prefixes the session ids it issues. */
  id: string;
  /** The base URL the other replicas reach it at (scheme, host and port; no path). */
  url: string;
  /** True while it drains: it serves what it owns but takes no new sessions. */
  draining: boolean;
}

/**
 * Where replicas find each other. A replica publishes its record on start and whenever it
 * changes (draining), keeps it alive until `leave`, and looks others up by id.
 */
export interface ClusterRegistry {
  /** Publishes (or republishes) this replica's record and keeps it alive until `leave`. */
  publish(record: ReplicaRecord): Promise<void>;
  /** The record of a live replica; undefined when no replica has this id (gone, or never). */
  lookup(id: string): Promise<ReplicaRecord | undefined>;
  /** Every live replica's record (this one's included). */
  list(): Promise<ReplicaRecord[]>;
  /** Removes this replica's record, stops keeping it alive and releases the store's connection. */
  leave(id: string): Promise<void>;
}

export interface ClusterOptions {
  /** Where replicas register and find each other (e.g. @mcp-proxy/cluster's RedisRegistry). */
  registry: ClusterRegistry;
  /**
   * Shared by every replica: requests forwarded between replicas are signed with it, and a
   * request that claims to come from a replica without a valid signature is refused (403).
   * At least 16 characters.
   */
  secret: string;
  /**
   * The base URL the other replicas reach this one at. Default: the bound address and port
   * (for a wildcard bind, this machine's first non-internal IPv4 address).
   */
  advertise?: string;
  /** This replica's id; default a fresh random one (ids must differ between replicas). */
  replicaId?: string;
  /**
   * How long a forward waits to connect to the owning replica before it counts as gone.
   * Default 5 s. (The owner's own limits bound the rest: a tool call may take minutes.)
   */
  connectTimeoutMs?: number;
}

export const DEFAULT_CLUSTER_CONNECT_TIMEOUT_MS = 5000;
/** The header a forwarding replica signs its request with. */
export const CLUSTER_HEADER = "x-mcp-proxy-cluster";
export const MIN_CLUSTER_SECRET_LENGTH = 16;
/** Replica ids prefix session ids (`<replica>.<uuid>`), so they never contain a dot. */
export const REPLICA_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
