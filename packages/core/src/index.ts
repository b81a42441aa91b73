export { bridge } from "./bridge.js";
export type { BridgeCloseInfo, BridgeHandle, BridgeOptions, BridgeSide } from "./bridge.js";
export {
  ChildProcessTransport,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_LINE_LENGTH,
} from "./child-process.js";
export type { ChildExitInfo, ChildProcessOptions } from "./child-process.js";
export {
  ErrorCodes,
  JsonRpcErrorCodes,
  McpProxyError,
  SpawnError,
  UpstreamExitedError,
  toWireError,
} from "./errors.js";
export type { ErrorCode } from "./errors.js";
export {
  IdRemapper,
  classifyMessage,
  isNotification,
  isRequest,
  isRequestId,
  isResponse,
  jsonRpcError,
  messageId,
} from "./jsonrpc.js";
export type { MessageKind } from "./jsonrpc.js";
export { LineSplitter } from "./line-splitter.js";
export type { LineSplitterOptions } from "./line-splitter.js";
export { createStderrLogger, silentLogger } from "./logger.js";
export type { LogLevel, Logger } from "./logger.js";
export { proxyServer } from "./proxy-server.js";
export type { ProxyServerOptions } from "./proxy-server.js";
