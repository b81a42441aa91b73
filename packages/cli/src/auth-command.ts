// `mcp-proxy auth status|logout [url]`: shows or forgets what stdio mode's
// OAuth login stored for a server. Tokens are never printed, only whether
// they are there and when the access token expires.
import {
  clearOAuthCredentials,
  defaultConfigDir,
  listStoredServers,
  type OAuthStatus,
  readOAuthStatus,
} from "@mcp-proxy/stdio-client";
import type { AuthConfig } from "./config.js";

/** Runs the action; resolves with the exit code (0: done, whether or not anything was stored). */
export async function runAuth(
  config: AuthConfig,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const configDir = config.configDir ?? defaultConfigDir();
  if (config.action === "logout") {
    const status = await readOAuthStatus(config.url as string, configDir);
    const removed = await clearOAuthCredentials(config.url as string, configDir);
    print(
      removed
        ? `Logged out of ${status.url}: removed ${status.dir}`
        : `Nothing stored for ${status.url}`,
    );
    return 0;
  }
  if (config.url !== undefined) {
    print(describe(await readOAuthStatus(config.url, configDir)));
    return 0;
  }
  const servers = await listStoredServers(configDir);
  if (servers.length === 0) {
    print(`No OAuth credentials stored under ${configDir}`);
    return 0;
  }
  const statuses = await Promise.all(servers.map((s) => readOAuthStatus(s.url, configDir)));
  print(statuses.map(describe).join("\n\n"));
  return 0;
}

/** "in 5 min", "2 h ago": a duration a person reads at a glance. */
function relative(ms: number): string {
  const abs = Math.abs(ms);
  const text =
    abs < 90_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 5_400_000
        ? `${Math.round(abs / 60_000)} min`
        : `${Math.round(abs / 3_600_000)} h`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

function describe(status: OAuthStatus, now = Date.now()): string {
  if (!status.accessToken && !status.refreshToken && status.clientId === undefined)
    return `${status.url}: not logged in (nothing stored)`;
  const access = !status.accessToken
    ? "none"
    : status.expiresAt === undefined
      ? "stored (no expiry given)"
      : status.expiresAt > now
        ? `valid, expires ${relative(status.expiresAt - now)}`
        : `expired ${relative(status.expiresAt - now)}`;
  const rows: Array<[string, string | undefined]> = [
    ["stored in", status.dir],
    ["authorization server", status.issuer],
    ["client id", status.clientId],
    ["access token", access],
    [
      "refresh token",
      status.refreshToken ? "stored (renews the access token without a browser)" : "none",
    ],
    ["scope", status.scope],
  ];
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined);
  const width = Math.max(...shown.map(([name]) => name.length)) + 1;
  return [
    status.url,
    ...shown.map(([name, value]) => `  ${`${name}:`.padEnd(width + 1)}${value}`),
  ].join("\n");
}
