// Where the things under test live: the fixture server, the built CLI, and the
// reference proxies when they happen to be installed (never a dependency of ours).

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The echo fixture stdio server (tools `echo`, `big{size}`, …). */
export const ECHO_SERVER = fileURLToPath(
  import.meta.resolve("@mcp-proxy/test-utils/fixtures/echo-server.mjs"),
);

/** The built `mcp-proxy` binary. */
export const CLI_BIN = join(
  dirname(fileURLToPath(import.meta.resolve("@mcp-proxy/cli/package.json"))),
  "dist",
  "bin.js",
);

/** The built null server (the client ceiling), beside this module in dist/. */
export const NULL_SERVER = fileURLToPath(new URL("./null-server.js", import.meta.url));

/** Node flags that preload the GC hook (SIGUSR2 → full GC) into a proxy under test. */
export const GC_HOOK_FLAGS = [
  "--expose-gc",
  "--import",
  new URL("./gc-on-signal.js", import.meta.url).href,
];

/** The monorepo root (results go to `<root>/bench-results/`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** An installed package found by name: its directory, version and the script of one of its bins. */
export interface InstalledPackage {
  name: string;
  version: string;
  dir: string;
  bin: string;
}

/** Looks for `name` in node_modules from `start` up to `/`, then in the global npm prefix. */
export function findInstalled(name: string, start = process.cwd()): InstalledPackage | undefined {
  const dirs: string[] = [];
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    dirs.push(join(dir, "node_modules", name));
    if (dirname(dir) === dir) break;
  }
  dirs.push(join(npmGlobalRoot(), name));
  for (const dir of dirs) {
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as {
      version?: string;
      bin?: string | Record<string, string>;
    };
    const bin = typeof pkg.bin === "string" ? pkg.bin : Object.values(pkg.bin ?? {})[0];
    if (!bin) continue;
    return { name, version: pkg.version ?? "?", dir, bin: join(dir, bin) };
  }
  return undefined;
}

/** `npm root -g` without running npm: the configured prefix, else the one beside node. */
function npmGlobalRoot(): string {
  const prefix = process.env.npm_config_prefix ?? dirname(dirname(process.execPath));
  return process.platform === "win32"
    ? join(prefix, "node_modules")
    : join(prefix, "lib", "node_modules");
}

/** The help text of the built CLI, to detect optional flags such as `--shared`. */
export function cliHelp(): string {
  try {
    return execFileSync(process.execPath, [CLI_BIN, "--help"], {
      encoding: "utf8",
      timeout: 10_000,
    });
  } catch {
    return "";
  }
}
