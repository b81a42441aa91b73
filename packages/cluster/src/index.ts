export { ClusterStoreError } from "./errors.js";
export { DEFAULT_KEY_PREFIX } from "./keys.js";
export { redactUrl } from "./redact-url.js";
export type { RedisEventStoreOptions } from "./redis-event-store.js";
export { DEFAULT_STREAM_TTL_MS, RedisEventStore } from "./redis-event-store.js";
export type { RedisRegistryOptions } from "./redis-registry.js";
export { DEFAULT_REPLICA_TTL_MS, RedisRegistry } from "./redis-registry.js";
