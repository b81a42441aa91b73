// `mcp-proxy stdio <url>`: the reverse direction. This process speaks MCP on
// stdin/stdout for a stdio-only client and forwards to a remote HTTP server.
import { createStderrLogger } from "@mcp-proxy/core";
import { FileOAuthProvider, startStdioServer } from "@mcp-proxy/stdio-client";
import { tapTransport } from "@mcp-proxy/tap";
import type { StdioConfig } from "./config.js";
import { checkReadable } from "./preflight.js";
import { openTrafficLog } from "./traffic-log.js";

/** Runs stdio mode until stdin ends or a signal arrives; resolves with the exit code. */
export async function runStdio(config: StdioConfig): Promise<number> {
  checkReadable("--sslCa", config.sslCa);
  const logger = createStderrLogger(config.logging.logLevel);
  // stdout is the protocol: the traffic log goes to stderr (--debug) or a file (--log-file).
  const log = openTrafficLog({
    human: config.logging.debug,
    ...(config.logging.logFile ? { file: config.logging.logFile } : {}),
  });
  const authProvider = config.oauth
    ? new FileOAuthProvider(config.url, { ...config.oauth, logger })
    : undefined;
  if (authProvider) logger.debug(`stdio: OAuth credentials are kept in ${authProvider.directory}`);
  const handle = await startStdioServer({
    url: config.url,
    transport: config.transport,
    protocol: config.protocol,
    headers: config.headers,
    logger,
    ...(config.bearer ? { bearer: config.bearer } : {}),
    ...(config.sslCa ? { sslCa: config.sslCa } : {}),
    ...(authProvider ? { authProvider } : {}),
    ...(log.enabled ? { wrapRemote: (remote) => tapTransport(remote, log.observer()) } : {}),
  });
  logger.debug(`stdio: forwarding to ${redactedUrl(config.url)} (${config.transport})`);
  const stop = () => void handle.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await handle.closed;
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  await log.close();
  return 0;
}

/** The URL for logs: credentials and query values (often API keys) replaced. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username) u.username = "***";
    if (u.password) u.password = "***";
    for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, "***");
    return u.href;
  } catch {
    return "<invalid URL>";
  }
}
