// Splits the command line into the proxy's own options and the child's command.
// We tokenize ourselves rather than through cac/mri because the child's
// arguments must never be read as ours (LESSONS 7): parsing stops at `--` or at
// the first positional, and string values stay byte-exact (mri turns "0123" into 123).
import { camelCase, type FlagSpec } from "./flags.js";
import { UsageError } from "./usage-error.js";

export type Mode = "serve" | "stdio" | "tap" | "auth";

/** Subcommands; they must be the first argument (`mcp-proxy -- stdio` runs a program named stdio). */
export const SUBCOMMANDS: readonly Mode[] = ["stdio", "tap", "auth"];

/** A flag's value as written: a string, true/false for booleans, all values of a list flag. */
export type RawValue = string | boolean | string[];

export interface ParsedArgv {
  /** Options by camelCase name. */
  options: Record<string, RawValue>;
  /** For serve and tap: the child command and its arguments, untouched. For stdio and auth: the positionals. */
  positionals: string[];
}

export interface ParseArgvOptions {
  /** Stop at the first positional: it and everything after it are the child's. */
  stopAtPositional: boolean;
  /** Named in the unknown-option error, e.g. "mcp-proxy stdio --help". */
  helpCommand?: string;
}

/** Picks the mode from the first argument. */
export function detectMode(argv: readonly string[]): { mode: Mode; rest: string[] } {
  const first = argv[0];
  const sub = SUBCOMMANDS.find((s) => s === first);
  if (sub) return { mode: sub, rest: argv.slice(1) };
  return { mode: "serve", rest: [...argv] };
}

/** Finds the spec for a name written on the command line (camelCase or kebab-case). */
export function findFlag(specs: readonly FlagSpec[], written: string): FlagSpec | undefined {
  const name = camelCase(written);
  return specs.find((s) => s.name === name);
}

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  false: false,
  "1": true,
  "0": false,
  yes: true,
  no: false,
  on: true,
  off: false,
};

/** Reads `true`/`false`/`1`/`0`/`yes`/`no`/`on`/`off`; undefined for anything else. */
export function parseBooleanWord(value: string): boolean | undefined {
  return BOOLEAN_WORDS[value.trim().toLowerCase()];
}

/** Tokenizes `argv` (without the node and script paths, and without a subcommand). */
export function parseArgv(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  { stopAtPositional, helpCommand = "mcp-proxy --help" }: ParseArgvOptions,
): ParsedArgv {
  const options: Record<string, RawValue> = {};
  const positionals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (stopAtPositional) {
        positionals.push(...argv.slice(i));
        break;
      }
      positionals.push(arg);
      i++;
      continue;
    }
    i++;
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const written = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = findFlag(specs, written);
      if (!spec && written.startsWith("no-")) {
        // Every boolean flag, as in the reference CLI (yargs): `--no-stateless` undoes an env var.
        const negated = findFlag(specs, written.slice(3));
        if (negated?.kind === "boolean" && negated.name !== "help" && negated.name !== "version") {
          if (inline !== undefined)
            throw new UsageError(`${arg.slice(0, eq)} does not take a value`);
          options[negated.name] = false;
          continue;
        }
      }
    } else {
      spec = specs.find((s) => s.short !== undefined && `-${s.short}` === arg);
    }
    if (!spec) throw new UsageError(`Unknown option ${arg.split("=")[0]} (see ${helpCommand})`);

    if (spec.kind === "boolean") {
      if (inline === undefined) {
        // `--stateless false` as the reference CLI (yargs) reads it: exactly true or false after
        // a boolean flag is its value, not a command (no MCP server is called true or false).
        const next = argv[i];
        if (next === "true" || next === "false") {
          options[spec.name] = next === "true";
          i++;
        } else {
          options[spec.name] = true;
        }
      } else {
        const value = parseBooleanWord(inline);
        if (value === undefined)
          throw new UsageError(`--${spec.name} expects true or false, got "${inline}"`);
        options[spec.name] = value;
      }
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i];
      if (next === undefined || next.startsWith("--")) {
        throw new UsageError(
          `--${spec.name} needs a value${spec.valueName ? ` (${spec.valueName})` : ""}`,
        );
      }
      value = next;
      i++;
    }
    if (spec.kind === "list") {
      const previous = options[spec.name];
      options[spec.name] = Array.isArray(previous) ? [...previous, value] : [value];
    } else {
      options[spec.name] = value;
    }
  }
  return { options, positionals };
}
