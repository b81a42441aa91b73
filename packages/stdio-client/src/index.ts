// Core's bound on input rounds, which the 2026-07-28 leg applies to each local request.
export { DEFAULT_MAX_INPUT_ROUNDS } from "@mcp-proxy/core/internal";
export type { RemoteTransportKind } from "./auto-transport.js";
export { AutoClientTransport } from "./auto-transport.js";
export type { OAuthLoginProvider } from "./oauth-flow.js";
export { AuthorizationError } from "./oauth-flow.js";
export type { FileOAuthProviderOptions } from "./oauth-provider.js";
export {
  DEFAULT_LOGIN_TIMEOUT_MS,
  DEFAULT_OAUTH_CLIENT_NAME,
  FileOAuthProvider,
} from "./oauth-provider.js";
export type { OAuthStatus, StoredServer } from "./oauth-store.js";
export {
  clearOAuthCredentials,
  defaultConfigDir,
  listStoredServers,
  readOAuthStatus,
} from "./oauth-store.js";
export type { HttpClientOptions, ReconnectOptions } from "./options.js";
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_RECONNECT_GROW_FACTOR,
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_ATTEMPTS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from "./options.js";
export type { ReferenceTransportOptions, UpstreamProtocol } from "./reference-options.js";
export { resolveVersionNegotiation, ServerType } from "./reference-options.js";
export { DEFAULT_REMOTE_PROBE_TIMEOUT_MS } from "./remote-probe.js";
export type { SdkClientLike, SdkServerLike } from "./sdk-proxy.js";
export { SseClientTransport } from "./sse-client.js";
export type { SseEvent } from "./sse-parser.js";
export { SseParser } from "./sse-parser.js";
export type { StartStdioServerOptions, StdioServerHandle } from "./start-stdio-server.js";
export { DEFAULT_PROTOCOL, DEFAULT_TRANSPORT, startStdioServer } from "./start-stdio-server.js";
export { DEFAULT_STDIN_END_GRACE_MS } from "./stdio-transport.js";
export { StreamableHttpClientTransport } from "./streamable-http-client.js";
