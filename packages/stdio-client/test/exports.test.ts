// stdio-client's public surface, name by name: a new export (or a lost one) is a
// decision made here on purpose, not a side effect. Types are the compiler's to check.
import { expect, it } from "vitest";

it("exports exactly its public names", async () => {
  expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
    "AuthorizationError",
    "AutoClientTransport",
    "DEFAULT_CLOSE_TIMEOUT_MS",
    "DEFAULT_CONNECT_TIMEOUT_MS",
    "DEFAULT_LOGIN_TIMEOUT_MS",
    "DEFAULT_MAX_INPUT_ROUNDS",
    "DEFAULT_OAUTH_CLIENT_NAME",
    "DEFAULT_PROTOCOL",
    "DEFAULT_RECONNECT_GROW_FACTOR",
    "DEFAULT_RECONNECT_INITIAL_DELAY_MS",
    "DEFAULT_RECONNECT_MAX_ATTEMPTS",
    "DEFAULT_RECONNECT_MAX_DELAY_MS",
    "DEFAULT_REMOTE_PROBE_TIMEOUT_MS",
    "DEFAULT_REQUEST_TIMEOUT_MS",
    "DEFAULT_STDIN_END_GRACE_MS",
    "DEFAULT_TRANSPORT",
    "FileOAuthProvider",
    "ServerType",
    "SseClientTransport",
    "SseParser",
    "StreamableHttpClientTransport",
    "clearOAuthCredentials",
    "defaultConfigDir",
    "listStoredServers",
    "readOAuthStatus",
    "resolveVersionNegotiation",
    "startStdioServer",
  ]);
});
