// MCP_PROXY_<NAME> environment variables: every flag can come from one, the
// command line wins over them, and none of them ever reaches the child
// (the API key must not leak into a server's environment: LESSONS 7).
import type { RawValue } from "./argv.js";
import { envVarName, type FlagSpec } from "./flags.js";
import { UsageError } from "./usage-error.js";

export const ENV_PREFIX = "MCP_PROXY_";

/** A value and where it came from (`--port` or `MCP_PROXY_PORT`), for error messages. */
export interface SourcedValue {
  value: RawValue;
  source: string;
}

/**
 * Merges command-line options over MCP_PROXY_* variables. Empty variables count as unset. An
 * alias (`aliasOf`) is stored under the flag it names, keeping its own source for messages; the
 * command line wins over variables, but the two names with different values in the same place
 * are refused.
 */
export function resolveOptions(
  cli: Record<string, RawValue>,
  env: Readonly<Record<string, string | undefined>>,
  specs: readonly FlagSpec[],
): Record<string, SourcedValue> {
  const fromEnv: Record<string, SourcedValue> = {};
  for (const spec of specs) {
    if (spec.name === "help" || spec.name === "version") continue;
    const name = envVarName(spec.name);
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    const value: RawValue =
      spec.kind === "list"
        ? raw
            .split(spec.envSeparator ?? ",")
            .map((v) => v.trim())
            .filter((v) => v !== "")
        : raw;
    put(fromEnv, spec.aliasOf ?? spec.name, { value, source: name });
  }
  const fromCli: Record<string, SourcedValue> = {};
  for (const [name, value] of Object.entries(cli)) {
    const spec = specs.find((s) => s.name === name);
    put(fromCli, spec?.aliasOf ?? name, { value, source: `--${name}` });
  }
  return { ...fromEnv, ...fromCli };
}

function put(into: Record<string, SourcedValue>, name: string, value: SourcedValue): void {
  const other = into[name];
  if (other && !sameValue(other.value, value.value)) {
    throw new UsageError(
      `${other.source} and ${value.source} are one setting and disagree ("${String(other.value)}" vs "${String(value.value)}"); give one of them`,
    );
  }
  into[name] = value;
}

function sameValue(a: RawValue, b: RawValue): boolean {
  const number = (v: RawValue) =>
    typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  return JSON.stringify(a) === JSON.stringify(b) || number(a) === number(b);
}

/** MCP_PROXY_* variables that match no flag of any mode: likely typos worth a warning. */
export function unknownEnvVars(
  env: Readonly<Record<string, string | undefined>>,
  allSpecs: readonly FlagSpec[],
): string[] {
  const known = new Set(allSpecs.map((s) => envVarName(s.name)));
  return Object.keys(env).filter((k) => k.startsWith(ENV_PREFIX) && !known.has(k));
}

/** Variables a child gets with --no-pass-environment (what the MCP SDK's stdio client passes by default). */
export const BASIC_ENV_VARS: readonly string[] =
  process.platform === "win32"
    ? [
        "APPDATA",
        "HOMEDRIVE",
        "HOMEPATH",
        "LOCALAPPDATA",
        "PATH",
        "PATHEXT",
        "PROCESSOR_ARCHITECTURE",
        "SYSTEMDRIVE",
        "SYSTEMROOT",
        "TEMP",
        "USERNAME",
        "USERPROFILE",
        "ComSpec",
      ]
    : ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"];

/**
 * The child's whole environment: the parent's (or only its basic variables),
 * without any MCP_PROXY_* variable, then the explicit `--env` entries.
 */
export function childEnvironment(
  parent: Readonly<Record<string, string | undefined>>,
  options: { passEnvironment: boolean; extra: Readonly<Record<string, string>> },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    if (key.toUpperCase().startsWith(ENV_PREFIX)) continue;
    if (!options.passEnvironment && !BASIC_ENV_VARS.includes(key)) continue;
    env[key] = value;
  }
  // Explicit --env entries are the user's intent, so they are applied last.
  return { ...env, ...options.extra };
}
