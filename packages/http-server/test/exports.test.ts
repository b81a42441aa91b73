// http-server's public surface, name by name: a new export (or a lost one) is a decision
// made here on purpose, not a side effect. Types are the compiler's to check.
import { expect, it } from "vitest";

it("exports exactly its public names", async () => {
  expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
    "CLUSTER_HEADER",
    "DEFAULT_AGGREGATE_SEPARATOR",
    "DEFAULT_ALLOWED_HEADERS",
    "DEFAULT_CLOSE_GRACE_MS",
    "DEFAULT_CLUSTER_CONNECT_TIMEOUT_MS",
    "DEFAULT_CORS_ALLOWED_HEADERS",
    "DEFAULT_CORS_EXPOSED_HEADERS",
    "DEFAULT_CORS_MAX_AGE_S",
    "DEFAULT_CORS_METHODS",
    "DEFAULT_HEARTBEAT_INTERVAL_MS",
    "DEFAULT_HOST",
    "DEFAULT_JWKS_COOLDOWN_MS",
    "DEFAULT_KEEP_ALIVE_TIMEOUT_MS",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_EVENTS_PER_STREAM",
    "DEFAULT_MAX_EVENTS_TOTAL",
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_MESSAGES_ENDPOINT",
    "DEFAULT_METRICS_PATH",
    "DEFAULT_MODERN",
    "DEFAULT_OAUTH_CLOCK_TOLERANCE_S",
    "DEFAULT_PORT",
    "DEFAULT_SESSION_TIMEOUT_MS",
    "DEFAULT_SSE_ENDPOINT",
    "DEFAULT_STREAM_ENDPOINT",
    "EventNotAvailableError",
    "InMemoryEventStore",
    "MIN_CLUSTER_SECRET_LENGTH",
    "startHTTPServer",
  ]);
});
