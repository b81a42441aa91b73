// The public surface of @mcp-proxy/cli: the `mcp-proxy` binary is the product;
// the parser and its flag tables are exported for tools that wrap the CLI.

// The server defaults the flags show, which http-server defines.
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_SSE_ENDPOINT,
  DEFAULT_STREAM_ENDPOINT,
} from "@mcp-proxy/http-server";
export type { Mode, ParseArgvOptions, ParsedArgv, RawValue } from "./argv.js";
export { detectMode, parseArgv, SUBCOMMANDS } from "./argv.js";
export type {
  ChildConfig,
  Invocation,
  LoggingConfig,
  RestartPolicy,
  ServeConfig,
  StdioConfig,
  TapConfig,
} from "./config.js";
export { FLAGS_BY_MODE, parseCommandLine } from "./config.js";
export { BASIC_ENV_VARS, childEnvironment, ENV_PREFIX } from "./env-vars.js";
export type { FlagKind, FlagSpec } from "./flags.js";
export {
  DEFAULT_CHILD_REQUEST_TIMEOUT_MS,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_EVENT_STORE_MAX_EVENTS,
  DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT_MS,
  envVarName,
  SERVE_FLAGS,
  STDIO_FLAGS,
  TAP_FLAGS,
} from "./flags.js";
export { flagTableMarkdown } from "./help.js";
export { EXIT_USAGE, UsageError } from "./usage-error.js";
