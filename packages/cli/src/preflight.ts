// Checks made before listening, so that the obvious mistakes (a command that
// does not exist, a certificate path with a typo) fail the start with one line
// instead of failing every session later.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { ChildConfig } from "./config.js";
import { UsageError } from "./usage-error.js";

/** Throws when the command cannot be found (skipped with --shell, where the shell decides). */
export function checkCommand(child: ChildConfig): void {
  if (child.shell || process.platform === "win32") return;
  const cwd = child.cwd ?? process.cwd();
  if (child.cwd !== undefined && !isDirectory(cwd)) {
    throw new UsageError(`--cwd "${child.cwd}" is not a directory`);
  }
  const { command } = child;
  if (command.includes("/")) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    if (!isExecutable(path))
      throw new UsageError(`Command not found or not executable: ${command}`);
    return;
  }
  const dirs = (child.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  if (!dirs.some((dir) => isExecutable(join(isAbsolute(dir) ? dir : resolve(cwd, dir), command)))) {
    throw new UsageError(`Command not found: ${command} (searched the child's PATH)`);
  }
}

/** Throws when a file given to a flag cannot be read. */
export function checkReadable(flag: string, path: string | undefined): void {
  if (path === undefined || path.includes("-----BEGIN")) return;
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new UsageError(
      `${flag}: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
