// `mcp-proxy tap -- <command>`: stdio in, stdio out, the child in between, and
// every message logged through tap to stderr (human) or a file (JSON Lines).
// stdout carries nothing but the protocol.

import type { ChildExitInfo } from "@mcp-proxy/core";
import { bridge, createStderrLogger } from "@mcp-proxy/core";
import { tapTransport } from "@mcp-proxy/tap";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { commandLabel, createChildTransport, describeExit, exitCodeOf } from "./child.js";
import type { TapConfig } from "./config.js";
import { checkCommand } from "./preflight.js";
import { openTrafficLog } from "./traffic-log.js";

/** Runs tap mode; resolves with the process exit code. */
export async function runTap(config: TapConfig): Promise<number> {
  checkCommand(config.child);
  const logger = createStderrLogger(config.logLevel);
  const log = openTrafficLog({
    ...(config.logFile ? { file: config.logFile } : {}),
    human: !config.logFile,
  });
  let exit: ChildExitInfo | undefined;
  const child = createChildTransport(config.child, {
    onExit: (info) => {
      if (!info.expected) exit = info;
    },
    onNoise: (line) =>
      logger.warn("skipped a non-JSON line on the server's stdout", { line: line.slice(0, 200) }),
  });
  const upstream = tapTransport(child, log.observer());
  const stdio = new StdioServerTransport();
  logger.debug(`tap: running ${commandLabel(config.child)}`);

  let handle: Awaited<ReturnType<typeof bridge>>;
  try {
    handle = await bridge(stdio, upstream, {
      onError: (error) => logger.debug(error.message),
    });
  } catch (error) {
    await log.close();
    throw error;
  }
  // The SDK's stdio transport does not report the end of stdin: the client is gone.
  const onEnd = () => void handle.close();
  process.stdin.once("end", onEnd);
  process.stdin.once("close", onEnd);

  const stop = () => void handle.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await handle.closed;
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  await log.close();
  if (exit) {
    logger.error(`the server ${describeExit(exit)}`);
    return exitCodeOf(exit);
  }
  return 0;
}
