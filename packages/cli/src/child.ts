// The child process leg, as the CLI spawns it: environment computed by the
// config (never MCP_PROXY_*), stderr inherited so the server's own logs stay
// visible, and its whole process group killed on close.
import {
  type ChildExitInfo,
  type ChildProcessOptions,
  ChildProcessTransport,
} from "@mcp-proxy/core";
import type { ChildConfig } from "./config.js";

export interface ChildHooks {
  onExit?: (info: ChildExitInfo) => void;
  onNoise?: (line: string) => void;
  killGracePeriodMs?: number;
}

export function createChildTransport(
  child: ChildConfig,
  hooks: ChildHooks = {},
): ChildProcessTransport {
  const options: ChildProcessOptions = {
    command: child.command,
    args: child.args,
    env: child.env,
    inheritEnv: false,
    shell: child.shell,
    stderr: "inherit",
    ...(child.cwd ? { cwd: child.cwd } : {}),
    ...(hooks.onExit ? { onExit: hooks.onExit } : {}),
    ...(hooks.onNoise ? { onNoise: hooks.onNoise } : {}),
    ...(hooks.killGracePeriodMs !== undefined
      ? { killGracePeriodMs: hooks.killGracePeriodMs }
      : {}),
  };
  return new ChildProcessTransport(options);
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
};

/** The proxy's exit code for a child that ended the proxy: its code, or 128 + signal number. */
export function exitCodeOf(info: ChildExitInfo): number {
  if (info.code !== null) return info.code;
  return 128 + (info.signal ? (SIGNAL_NUMBERS[info.signal] ?? 1) : 1);
}

/** "exited with code 3" / "was killed by SIGKILL". */
export function describeExit(info: ChildExitInfo): string {
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
}

/** The command line as shown in messages. */
export function commandLabel(child: ChildConfig): string {
  return [child.command, ...child.args]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)))
    .join(" ");
}
