// Where the registry and the event store keep their data: every key starts
// with one prefix, so several clusters (or other applications) share a Redis.

/** The default prefix of every key this package writes. */
export const DEFAULT_KEY_PREFIX = "mcp-proxy:";

/** The string holding one replica's record (JSON), with a TTL. */
export function replicaKey(prefix: string, id: string): string {
  return `${prefix}replica:${id}`;
}

/** The set of the ids of every replica that published: where list() starts. */
export function replicasKey(prefix: string): string {
  return `${prefix}replicas`;
}

/** The stream holding one SSE stream's events. */
export function eventsKey(prefix: string, streamId: string): string {
  return `${prefix}events:${streamId}`;
}
