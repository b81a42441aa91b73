// Opens a URL in the user's browser: `$BROWSER` when it is set (the convention
// of sensible-browser and Python's webbrowser: a command, `%s` standing for
// the URL, else the URL appended), else the platform's opener. The child never
// sees our stdout (it carries the protocol) and is not waited for.
import { spawn } from "node:child_process";

/** The URL quoted for the shell that runs a `$BROWSER` command line. */
function shellQuoted(url: string): string {
  if (process.platform === "win32") return `"${url.replace(/"/g, '""')}"`;
  return `'${url.replace(/'/g, "'\\''")}'`;
}

/** The command and arguments that open `url`, or a shell command line. */
function openerFor(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
): { command: string; args: string[]; shell: boolean } {
  const browser = env.BROWSER?.trim();
  if (browser) {
    if (browser.includes("%s"))
      return { command: browser.replaceAll("%s", shellQuoted(url)), args: [], shell: true };
    // A bare program name or path is run directly; anything with arguments goes through the shell.
    if (!/\s/.test(browser)) return { command: browser, args: [url], shell: false };
    return { command: `${browser} ${shellQuoted(url)}`, args: [], shell: true };
  }
  if (process.platform === "darwin") return { command: "open", args: [url], shell: false };
  if (process.platform === "win32")
    return { command: "rundll32", args: ["url.dll,FileProtocolHandler", url], shell: false };
  return { command: "xdg-open", args: [url], shell: false };
}

/**
 * Starts the browser on `url`. Resolves once the opener is running; rejects when it cannot be
 * started (no such program). Whether a browser window appeared cannot be known.
 */
export function openBrowser(
  url: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const { command, args, shell } = openerFor(url, env);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      shell,
      stdio: "ignore",
      detached: process.platform !== "win32",
      env: env as NodeJS.ProcessEnv,
    });
    child.once("error", reject);
    child.once("spawn", () => {
      child.unref();
      resolve();
    });
  });
}
