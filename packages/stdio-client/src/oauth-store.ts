// Where the stdio front keeps what an OAuth login leaves behind: one directory
// per remote server (mode 0700) under the user's config directory, holding the
// client registration, the tokens and the PKCE verifier as JSON files (mode
// 0600), each replaced atomically. Nothing here ever logs a stored value.
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/** The subdirectory of the config directory that holds one directory per server. */
export const OAUTH_SUBDIR = "oauth";

/** The files of a server's directory. */
export type StoredFile = "client" | "tokens" | "verifier";

/** What `server.json` says about the directory it is in. */
interface ServerRecord {
  url: string;
}

/**
 * The config directory of mcp-proxy: `$XDG_CONFIG_HOME/mcp-proxy`, else `~/.config/mcp-proxy`
 * (a relative `XDG_CONFIG_HOME` is ignored, as the XDG spec asks).
 */
export function defaultConfigDir(env: Readonly<Record<string, string | undefined>> = process.env) {
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".config"), "mcp-proxy");
}

/** The server's URL without fragment: what its stored credentials are keyed by. */
function normalizedUrl(serverUrl: string | URL): URL {
  const url = new URL(serverUrl);
  url.hash = "";
  return url;
}

/**
 * The directory name of a server: its host and port, readable, then a hash of the whole URL
 * (path and query included, so that two endpoints on one host do not share tokens).
 */
export function serverDirName(serverUrl: string | URL): string {
  const url = normalizedUrl(serverUrl);
  const hash = createHash("sha256").update(url.href).digest("hex").slice(0, 16);
  const host = `${url.hostname}${url.port ? `_${url.port}` : ""}`.replace(/[^A-Za-z0-9.-]/g, "_");
  return `${host}-${hash}`;
}

/** A server's stored OAuth state, one JSON file per kind. */
export class OAuthStore {
  /** The server's directory. */
  readonly dir: string;
  readonly serverUrl: URL;
  #prepared = false;

  constructor(serverUrl: string | URL, configDir: string = defaultConfigDir()) {
    this.serverUrl = normalizedUrl(serverUrl);
    this.dir = join(configDir, OAUTH_SUBDIR, serverDirName(this.serverUrl));
  }

  /** The path of a stored file (or of the lock, which lives beside them). */
  path(name: StoredFile | "lock"): string {
    return name === "lock" ? join(this.dir, "lock") : join(this.dir, `${name}.json`);
  }

  /** A stored value; undefined when absent or unreadable (a broken file counts as none). */
  async read<T>(name: StoredFile): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.path(name), "utf8")) as T;
    } catch {
      return undefined;
    }
  }

  /** Replaces a stored value atomically: a 0600 temporary file renamed over the old one. */
  async write(name: StoredFile, value: unknown): Promise<void> {
    await this.ensureDir();
    const target = this.path(name);
    const temp = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    try {
      await rename(temp, target);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
  }

  async remove(name: StoredFile): Promise<void> {
    await rm(this.path(name), { force: true });
  }

  /** Removes the server's directory; false when nothing was stored. */
  async clear(): Promise<boolean> {
    const existed = await readdir(this.dir).then(
      () => true,
      () => false,
    );
    await rm(this.dir, { recursive: true, force: true });
    this.#prepared = false;
    return existed;
  }

  /** Creates the directory (0700, and its parents) and records which server it belongs to. */
  async ensureDir(): Promise<void> {
    if (this.#prepared) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // mkdir's mode only applies to directories it creates: tighten ones that existed.
    await chmod(join(this.dir, ".."), 0o700);
    await chmod(this.dir, 0o700);
    const record: ServerRecord = { url: `${this.serverUrl.origin}${this.serverUrl.pathname}` };
    await writeFile(join(this.dir, "server.json"), `${JSON.stringify(record)}\n`, { mode: 0o600 });
    this.#prepared = true;
  }
}

/** A server with stored OAuth state, as `listStoredServers` finds it. */
export interface StoredServer {
  /** The server's URL without its query (which may hold secrets). */
  url: string;
  dir: string;
}

/** Every server with a directory under `configDir`. */
export async function listStoredServers(
  configDir: string = defaultConfigDir(),
): Promise<StoredServer[]> {
  const root = join(configDir, OAUTH_SUBDIR);
  const names = await readdir(root).catch(() => [] as string[]);
  const found: StoredServer[] = [];
  for (const name of names.sort()) {
    const dir = join(root, name);
    try {
      const record = JSON.parse(await readFile(join(dir, "server.json"), "utf8")) as ServerRecord;
      if (typeof record.url === "string") found.push({ url: record.url, dir });
    } catch {
      // Not one of ours, or half written: skip it.
    }
  }
  return found;
}

/** What is stored for a server, as `mcp-proxy auth status` shows it; never a token itself. */
export interface OAuthStatus {
  /** The server's URL without its query. */
  url: string;
  /** Its directory (which may not exist). */
  dir: string;
  /** The registered client's id, when one is stored. */
  clientId?: string;
  /** The authorization server the client and tokens belong to. */
  issuer?: string;
  /** Whether an access token is stored. */
  accessToken: boolean;
  /** Whether a refresh token is stored (the next login then needs no browser). */
  refreshToken: boolean;
  /** The granted scopes, as the authorization server named them. */
  scope?: string;
  /** When the access token expires, ms since the epoch, when the server said. */
  expiresAt?: number;
}

/** Tokens as stored: the SDK's fields, `issuer` added by its auth(), and when they were saved. */
interface StoredTokenFields {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
  issuer?: string;
  saved_at?: number;
}

/** What is stored for `serverUrl` under `configDir`. */
export async function readOAuthStatus(
  serverUrl: string | URL,
  configDir: string = defaultConfigDir(),
): Promise<OAuthStatus> {
  const store = new OAuthStore(serverUrl, configDir);
  const tokens = await store.read<StoredTokenFields>("tokens");
  const client = await store.read<{ client_id?: string; issuer?: string }>("client");
  const issuer = tokens?.issuer ?? client?.issuer;
  const expiresAt =
    tokens?.saved_at !== undefined && typeof tokens.expires_in === "number"
      ? tokens.saved_at + tokens.expires_in * 1000
      : undefined;
  return {
    url: `${store.serverUrl.origin}${store.serverUrl.pathname}`,
    dir: store.dir,
    ...(client?.client_id ? { clientId: client.client_id } : {}),
    ...(issuer ? { issuer } : {}),
    accessToken: typeof tokens?.access_token === "string",
    refreshToken: typeof tokens?.refresh_token === "string",
    ...(tokens?.scope ? { scope: tokens.scope } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

/** Forgets everything stored for `serverUrl` (tokens, registration, verifier); false when nothing was. */
export function clearOAuthCredentials(
  serverUrl: string | URL,
  configDir: string = defaultConfigDir(),
): Promise<boolean> {
  return new OAuthStore(serverUrl, configDir).clear();
}
