export type { ListenSubscriptionsHandler } from "@mcp-proxy/core";
export type { ClusterOptions, ClusterRegistry, ReplicaRecord } from "./cluster-options.js";
export {
  CLUSTER_HEADER,
  DEFAULT_CLUSTER_CONNECT_TIMEOUT_MS,
  MIN_CLUSTER_SECRET_LENGTH,
} from "./cluster-options.js";
export type { CorsOptions } from "./cors.js";
export {
  DEFAULT_ALLOWED_HEADERS,
  DEFAULT_CORS_ALLOWED_HEADERS,
  DEFAULT_CORS_EXPOSED_HEADERS,
  DEFAULT_CORS_MAX_AGE_S,
  DEFAULT_CORS_METHODS,
} from "./cors.js";
export type { EventId, EventStore, InMemoryEventStoreOptions, StreamId } from "./event-store.js";
export {
  DEFAULT_MAX_EVENTS_PER_STREAM,
  DEFAULT_MAX_EVENTS_TOTAL,
  EventNotAvailableError,
  InMemoryEventStore,
} from "./event-store.js";
export type { RequestRecord, ServerMetrics } from "./metrics.js";
export { DEFAULT_METRICS_PATH } from "./metrics.js";
export type { ServerNotifier } from "./notifier.js";
export type { OAuthOptions, ReferenceOAuthOptions } from "./oauth-options.js";
export { DEFAULT_JWKS_COOLDOWN_MS, DEFAULT_OAUTH_CLOCK_TOLERANCE_S } from "./oauth-options.js";
export type {
  AggregateOptions,
  AuthenticateResult,
  ClusterInfo,
  EventStoreOption,
  HealthStatus,
  HTTPServerHandle,
  MaxBodySizeOption,
  McpServerLike,
  NamedServerOptions,
  NamedServerStatus,
  NamedServersHandle,
  SessionInfo,
  SSEServer,
  StartHTTPServerOptions,
  UpstreamContext,
} from "./options.js";
export {
  DEFAULT_AGGREGATE_SEPARATOR,
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HOST,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MESSAGES_ENDPOINT,
  DEFAULT_MODERN,
  DEFAULT_PORT,
  DEFAULT_SESSION_TIMEOUT_MS,
  DEFAULT_SSE_ENDPOINT,
  DEFAULT_STREAM_ENDPOINT,
} from "./options.js";
export { startHTTPServer } from "./server.js";
