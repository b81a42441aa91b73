// Helpers shared by the packages' tests: fixture paths and process checks.
import { fileURLToPath } from "node:url";

/** Absolute path of a fixture script in this package. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** The echo fixture server (tools, resources, prompts, sampling, elicitation, notifications). */
export const ECHO_SERVER = fixturePath("echo-server.mjs");

/** How a test runs a fixture server: this Node on `script`, its stderr ignored. */
export interface FixtureCommand {
  command: string;
  args: string[];
  stderr: "ignore";
}

/**
 * The options of a stdio transport (core's ChildProcessTransport, the SDK's
 * StdioClientTransport) that runs fixture `script` with `args`; spread them to add more.
 * test-utils builds no transport itself: that would make it depend on core, which tests with it.
 */
export function fixtureCommand(script: string, args: readonly string[] = []): FixtureCommand {
  return { command: process.execPath, args: [script, ...args], stderr: "ignore" };
}

/** The echo fixture's command: `new ChildProcessTransport(echoServerCommand())`. */
export function echoServerCommand(args: readonly string[] = []): FixtureCommand {
  return fixtureCommand(ECHO_SERVER, args);
}

/**
 * A 2025-06-18 `initialize` request as a client sends it: id 1, no capabilities and client "t"
 * unless told otherwise.
 */
export function initializeRequest(
  options: {
    id?: number | string;
    capabilities?: Record<string, unknown>;
    clientInfo?: { name: string; version: string };
  } = {},
): {
  jsonrpc: "2.0";
  id: number | string;
  method: "initialize";
  params: {
    protocolVersion: string;
    capabilities: Record<string, unknown>;
    clientInfo: { name: string; version: string };
  };
} {
  return {
    jsonrpc: "2.0",
    id: options.id ?? 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: options.capabilities ?? {},
      clientInfo: options.clientInfo ?? { name: "t", version: "1" },
    },
  };
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Waits until `check` is true, polling; throws after `timeoutMs`. Bounded in count and time. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The conformance fixture server: what the official conformance suite's server scenarios check. */
export const CONFORMANCE_SERVER = fixturePath("conformance-server.mjs");

export {
  AUTH_SERVER_SCOPES,
  type AuthServerClient,
  type OidcProviderClass,
  startAuthServer,
  type TestAuthServer,
  type TokenRequest,
} from "./auth-server.js";
export {
  type ConformanceCheck,
  type ConformanceFailure,
  type ConformanceResult,
  type ConformanceRevision,
  conformanceCliPath,
  conformanceRequirements,
  DEFAULT_CONFORMANCE_SCENARIO_TIMEOUT_MS,
  DEFAULT_CONFORMANCE_TIMEOUT_MS,
  failingAgain,
  node22Path,
  type RunConformanceOptions,
  runConformance,
} from "./conformance.js";
export {
  type HaproxyAdminState,
  type HaproxyBackend,
  type HaproxyServerStatus,
  type StartHaproxyOptions,
  startHaproxy,
  type TestHaproxy,
} from "./haproxy.js";
export {
  redisServerPath,
  type StartRedisOptions,
  startRedis,
  type TestRedis,
} from "./redis.js";
export { findProgram, freePort } from "./system.js";
export { makeCertificate, type TestCertificate } from "./tls.js";
