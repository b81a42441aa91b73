export type { BridgeCloseInfo, BridgeHandle, BridgeOptions, BridgeSide } from "./bridge.js";
export { bridge } from "./bridge.js";
export type { ChildExitInfo, ChildProcessOptions } from "./child-process.js";
export {
  ChildProcessTransport,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_LINE_LENGTH,
} from "./child-process.js";
export type { ErrorCode } from "./errors.js";
export {
  ErrorCodes,
  JsonRpcErrorCodes,
  McpProxyError,
  SpawnError,
  toWireError,
  UpstreamExitedError,
} from "./errors.js";
export type { MessageKind } from "./jsonrpc.js";
export {
  classifyMessage,
  IdRemapper,
  isNotification,
  isRequest,
  isRequestId,
  isResponse,
  jsonRpcError,
  messageId,
} from "./jsonrpc.js";
export type { LineSplitterOptions } from "./line-splitter.js";
export { DEFAULT_MAX_NOISE_LENGTH, LineSplitter } from "./line-splitter.js";
export type { Logger, LogLevel } from "./logger.js";
export { createStderrLogger, silentLogger } from "./logger.js";
export { ModernGateway } from "./modern/gateway.js";
export type {
  ListenSubscriptionsHandler,
  ModernGatewayOptions,
} from "./modern/gateway-options.js";
export {
  DEFAULT_GATEWAY_CLIENT_INFO,
  DEFAULT_GATEWAY_REQUEST_TIMEOUT_MS,
  DEFAULT_INITIALIZE_TIMEOUT_MS,
  DEFAULT_MAX_RESTARTS,
  DEFAULT_MAX_UPSTREAMS,
  DEFAULT_MAX_UPSTREAMS_PER_PROFILE,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_QUEUE_TIMEOUT_MS,
  DEFAULT_RESTART_WINDOW_MS,
  DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
  DEFAULT_UPSTREAM_PROTOCOL,
} from "./modern/gateway-options.js";
export type { McpHeaderParam } from "./modern/header-values.js";
export {
  decodeHeaderValue,
  encodeHeaderValue,
  mcpHeaderParams,
} from "./modern/header-values.js";
export type {
  JsonRpcErrorBody,
  ModernValidationInput,
  ModernValidationResult,
} from "./modern/headers.js";
export {
  MISSING_REQUIRED_CLIENT_CAPABILITY,
  modernErrorStatus,
  modernRequestHeaders,
  NAMED_METHODS,
  unsupportedVersionError,
  validateModernMeta,
  validateModernRequest,
} from "./modern/headers.js";
export type { LegacyClientAdapterOptions } from "./modern/legacy-adapter.js";
export {
  DEFAULT_ADAPTER_PROBE_TIMEOUT_MS,
  DEFAULT_MAX_INPUT_ROUNDS,
  LegacyClientAdapter,
} from "./modern/legacy-adapter.js";
export { DEFAULT_INPUT_TIMEOUT_MS } from "./modern/legacy-adapter-inputs.js";
export {
  DEFAULT_MAX_PENDING_EXCHANGES,
  DEFAULT_PENDING_EXCHANGE_TTL_MS,
  INPUT_CAPABLE_METHODS,
  INPUT_KEY_META,
  INPUT_METHODS,
} from "./modern/mrtr.js";
export type { ModernSink } from "./modern/sink.js";
export type { SubscriptionFilter } from "./modern/subscriptions.js";
export {
  CACHEABLE_METHODS,
  DEFAULT_CACHE_SCOPE,
  DEFAULT_CACHE_TTL_MS,
} from "./modern/translate.js";
export type { UpstreamProtocol } from "./modern/upstream.js";
export type { HeaderBag, ProtocolEra } from "./modern/versions.js";
export {
  classifyEra,
  isLegacyProtocolVersion,
  isModernProtocolVersion,
  LATEST_LEGACY_PROTOCOL_VERSION,
  LATEST_MODERN_PROTOCOL_VERSION,
  LEGACY_PROTOCOL_VERSIONS,
  META,
  MODERN_PROTOCOL_VERSIONS,
  metaProtocolVersion,
} from "./modern/versions.js";
export type { ProxyServerOptions } from "./proxy-server.js";
export { proxyServer } from "./proxy-server.js";
export type { SharedConnectOptions, SharedUpstreamOptions } from "./shared-upstream.js";
export { SharedUpstream } from "./shared-upstream.js";
export type { LoggingLevel } from "./shared-upstream-levels.js";
export { LOGGING_LEVELS } from "./shared-upstream-levels.js";
export type {
  AcquireListenSubscriptionsOptions,
  UpstreamBridge,
  UpstreamBridgeOptions,
  UpstreamLease,
  UpstreamNotificationSink,
} from "./upstream-bridge.js";
export { acquireListenSubscriptions, getUpstreamBridge } from "./upstream-bridge.js";
