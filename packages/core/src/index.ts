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
export { LineSplitter } from "./line-splitter.js";
export type { Logger, LogLevel } from "./logger.js";
export { createStderrLogger, silentLogger } from "./logger.js";
export type { ProxyServerOptions } from "./proxy-server.js";
export { proxyServer } from "./proxy-server.js";
