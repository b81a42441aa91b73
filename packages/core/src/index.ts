// Protocol eras and the 2026-07-28 rules, in both directions.
export type { LegacyClientAdapterOptions } from "./adapter/legacy-client-adapter.js";
export { LegacyClientAdapter } from "./adapter/legacy-client-adapter.js";
export type { BridgeCloseInfo, BridgeHandle, BridgeOptions, BridgeSide } from "./bridge.js";
export { bridge } from "./bridge.js";
export type { ChildExitInfo, ChildProcessOptions } from "./child-process.js";
export { ChildProcessTransport } from "./child-process.js";
export type { ErrorCode } from "./errors.js";
export {
  ErrorCodes,
  JsonRpcErrorCodes,
  McpProxyError,
  SpawnError,
  toWireError,
  UpstreamExitedError,
} from "./errors.js";
export { ModernGateway } from "./gateway/gateway.js";
export type {
  ListenSubscriptionsHandler,
  ModernGatewayOptions,
} from "./gateway/gateway-options.js";
export type { ModernSink } from "./gateway/sink.js";
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
export type { Logger, LogLevel } from "./logger.js";
export { createStderrLogger, silentLogger } from "./logger.js";
export type {
  JsonRpcErrorBody,
  ModernValidationInput,
  ModernValidationResult,
} from "./protocol/headers.js";
export {
  modernErrorStatus,
  modernRequestHeaders,
  validateModernRequest,
} from "./protocol/headers.js";
export type { HeaderBag, ProtocolEra, ProtocolEraOption } from "./protocol/versions.js";
export {
  classifyEra,
  isLegacyProtocolVersion,
  isModernProtocolVersion,
  LATEST_LEGACY_PROTOCOL_VERSION,
  LATEST_MODERN_PROTOCOL_VERSION,
  LEGACY_PROTOCOL_VERSIONS,
  META,
  MODERN_PROTOCOL_VERSIONS,
} from "./protocol/versions.js";
export type { ProxyServerOptions } from "./proxy-server.js";
export { proxyServer } from "./proxy-server.js";
export type { SharedConnectOptions, SharedUpstreamOptions } from "./shared-upstream.js";
export { SharedUpstream } from "./shared-upstream.js";
export type {
  AcquireListenSubscriptionsOptions,
  UpstreamBridge,
  UpstreamBridgeOptions,
  UpstreamLease,
  UpstreamNotificationSink,
} from "./upstream-bridge.js";
export { acquireListenSubscriptions, getUpstreamBridge } from "./upstream-bridge.js";
