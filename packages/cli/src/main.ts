// The entry of the binary: parse, dispatch to a mode, map every failure to
// one line on stderr and an exit code (0 clean, 1 bad usage or failed start,
// the child's code when the child ended the proxy).
import { McpProxyError } from "@mcp-proxy/core";
import { runAuth } from "./auth-command.js";
import { parseCommandLine } from "./config.js";
import { packageVersion, printHelp, printVersion } from "./help.js";
import { runServe } from "./serve.js";
import { runStdio } from "./stdio-command.js";
import { runTap } from "./tap-command.js";
import { EXIT_USAGE, UsageError } from "./usage-error.js";

/** Runs the CLI with `argv` (without node and script paths); resolves with the exit code. */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  try {
    const invocation = parseCommandLine(argv, env);
    switch (invocation.kind) {
      case "help":
        printHelp(invocation.mode, packageVersion());
        return 0;
      case "version":
        printVersion(packageVersion());
        return 0;
      case "tap":
        return await runTap(invocation.config);
      case "stdio":
        return await runStdio(invocation.config);
      case "auth":
        return await runAuth(invocation.config);
      case "serve":
        return await runServe(invocation.config, env);
    }
  } catch (error) {
    process.stderr.write(`mcp-proxy: ${failureLine(error)}\n`);
    return EXIT_USAGE;
  }
}

function failureLine(error: unknown): string {
  if (error instanceof UsageError || error instanceof McpProxyError) return error.message;
  const e = error as NodeJS.ErrnoException;
  if (e?.code === "EADDRINUSE") return `Port already in use (${e.message})`;
  if (e?.code === "EACCES" && e.syscall === "listen") return `Not allowed to listen (${e.message})`;
  if (e?.code === "ENOENT" && e.path) return `No such file: ${e.path}`;
  return error instanceof Error ? error.message : String(error);
}
