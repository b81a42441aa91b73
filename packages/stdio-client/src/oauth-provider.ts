// The ready-made OAuth client of the stdio front, as mcp-remote offers it: an
// SDK OAuthClientProvider that keeps its registration, tokens and PKCE
// verifier in files per server (oauth-store), logs in through the user's
// browser and a loopback listener (browser, oauth-callback), and lets one
// process at a time authorize a server (oauth-lock). The protocol steps are
// the SDK's `auth()`; oauth-flow decides when to run it.
import { randomBytes } from "node:crypto";
import { ErrorCodes, type Logger, McpProxyError, silentLogger } from "@mcp-proxy/core";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { openBrowser } from "./browser.js";
import { CALLBACK_HOST, CALLBACK_PATH, CallbackListener } from "./oauth-callback.js";
import type { OAuthLoginProvider } from "./oauth-flow.js";
import { acquireLock } from "./oauth-lock.js";
import { defaultConfigDir, OAuthStore } from "./oauth-store.js";

/** How long a browser login may take before it fails, ms. */
export const DEFAULT_LOGIN_TIMEOUT_MS = 300_000;
/** The `client_name` of dynamic registrations. */
export const DEFAULT_OAUTH_CLIENT_NAME = "mcp-proxy";
/** Beyond the login timeout, how old a lock must be before another process breaks it, ms. */
const LOCK_MARGIN_MS = 60_000;

/** Options of {@link FileOAuthProvider}; every field has a default. */
export interface FileOAuthProviderOptions {
  /**
   * The directory that replaces `$XDG_CONFIG_HOME/mcp-proxy` (else `~/.config/mcp-proxy`);
   * credentials go to `<configDir>/oauth/<server>/`.
   */
  configDir?: string;
  /** A client registered beforehand; without it the client registers itself (RFC 7591). */
  clientId?: string;
  /** The secret of `clientId`, for a confidential client. */
  clientSecret?: string;
  /** Scopes to ask for when neither the server's challenge nor its metadata names any. */
  scope?: string;
  /**
   * Port of the loopback redirect URI `http://127.0.0.1:<port>/callback`, for authorization
   * servers that need the exact URI registered. Default: a free port (the one of the stored
   * registration when it is free).
   */
  callbackPort?: number;
  /** How long a browser login may take, ms. Default {@link DEFAULT_LOGIN_TIMEOUT_MS}. */
  loginTimeout?: number;
  /**
   * Opens the authorization URL. Default: `$BROWSER` when set, else the platform's opener;
   * `false`: none (the URL is still shown through `notify`).
   */
  openBrowser?: false | ((url: string) => void | Promise<void>);
  /** Shows the user the authorization URL. Default: a line on stderr (never stdout). */
  notify?: (message: string) => void;
  /** `client_name` of dynamic registrations. Default {@link DEFAULT_OAUTH_CLIENT_NAME}. */
  clientName?: string;
  /** Diagnostics; tokens are never passed to it. Default: silent. */
  logger?: Logger;
}

/** Tokens as stored: the SDK's, with the time they were saved (for their expiry). */
type StoredTokens = OAuthTokens & { saved_at?: number };

const writeStderr = (message: string) => {
  process.stderr.write(`${message}\n`);
};

/**
 * An OAuthClientProvider backed by files, one directory per server (0700, files 0600), that logs
 * in through the browser. Pass it as `authProvider` to startStdioServer or the transports.
 */
export class FileOAuthProvider implements OAuthLoginProvider {
  readonly #store: OAuthStore;
  readonly #o: FileOAuthProviderOptions;
  readonly #logger: Logger;
  readonly #loginTimeout: number;
  #loaded = false;
  #tokens: StoredTokens | undefined;
  #client: OAuthClientInformationMixed | undefined;
  #verifier: string | undefined;
  #listener: CallbackListener | undefined;
  #state: string | undefined;

  constructor(serverUrl: string | URL, options: FileOAuthProviderOptions = {}) {
    this.#store = new OAuthStore(serverUrl, options.configDir ?? defaultConfigDir());
    this.#o = options;
    this.#logger = options.logger ?? silentLogger;
    this.#loginTimeout = options.loginTimeout ?? DEFAULT_LOGIN_TIMEOUT_MS;
    const port = options.callbackPort;
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
      throw new TypeError(`callbackPort must be a port number (0-65535), got ${port}`);
    if (!(this.#loginTimeout > 0))
      throw new TypeError(`loginTimeout must be more than 0 ms, got ${this.#loginTimeout}`);
    if (options.clientSecret !== undefined && options.clientId === undefined)
      throw new TypeError("clientSecret needs clientId");
  }

  /** The directory this server's credentials are stored in. */
  get directory(): string {
    return this.#store.dir;
  }

  get redirectUrl(): string {
    if (this.#listener) return this.#listener.url;
    return `http://${CALLBACK_HOST}:${this.#o.callbackPort ?? 0}${CALLBACK_PATH}`;
  }

  get clientMetadata(): OAuthClientMetadata {
    const metadata: OAuthClientMetadata & { application_type: string } = {
      client_name: this.#o.clientName ?? DEFAULT_OAUTH_CLIENT_NAME,
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: this.#o.clientSecret ? "client_secret_basic" : "none",
      // A loopback redirect on any port (RFC 8252 §7.3), which native clients may use.
      application_type: "native",
      ...(this.#o.scope ? { scope: this.#o.scope } : {}),
    };
    return metadata;
  }

  state(): string {
    this.#state = randomBytes(32).toString("base64url");
    return this.#state;
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    await this.#load();
    return this.#client;
  }

  async saveClientInformation(information: OAuthClientInformationMixed): Promise<void> {
    this.#client = information;
    // A client given on the command line stays there; only a registration is stored.
    if (this.#o.clientId === undefined) await this.#store.write("client", information);
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    await this.#load();
    return this.#tokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    const stored: StoredTokens = { ...tokens, saved_at: Date.now() };
    await this.#store.write("tokens", stored);
    this.#tokens = stored;
    // The verifier served its one exchange.
    this.#verifier = undefined;
    await this.#store.remove("verifier");
  }

  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    this.#verifier = codeVerifier;
    await this.#store.write("verifier", { code_verifier: codeVerifier });
  }

  async codeVerifier(): Promise<string> {
    const stored = await this.#store.read<{ code_verifier?: string }>("verifier");
    const verifier = this.#verifier ?? stored?.code_verifier;
    if (verifier === undefined)
      throw new McpProxyError(ErrorCodes.UNAUTHORIZED, "No PKCE code verifier is stored");
    return verifier;
  }

  async invalidateCredentials(
    scope: "all" | "client" | "tokens" | "verifier" | "discovery",
  ): Promise<void> {
    if (scope === "all" || scope === "client") {
      if (this.#o.clientId === undefined) this.#client = undefined;
      await this.#store.remove("client");
    }
    if (scope === "all" || scope === "tokens") {
      this.#tokens = undefined;
      await this.#store.remove("tokens");
    }
    if (scope === "all" || scope === "verifier") {
      this.#verifier = undefined;
      await this.#store.remove("verifier");
    }
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    await this.#listen(true);
    const state = authorizationUrl.searchParams.get("state");
    if (state === null || state !== this.#state)
      throw new McpProxyError(
        ErrorCodes.INTERNAL,
        "The authorization URL does not carry our state",
      );
    this.#listener?.expect(state);
    const url = authorizationUrl.href;
    const server = `${this.#store.serverUrl.origin}${this.#store.serverUrl.pathname}`;
    (this.#o.notify ?? writeStderr)(
      `mcp-proxy: ${server} needs you to log in. Open this URL in a browser:\n  ${url}`,
    );
    if (this.#o.openBrowser === false) return;
    try {
      await (this.#o.openBrowser ?? openBrowser)(url);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#logger.warn(`Could not open a browser (${reason}); open the URL above yourself`);
    }
  }

  async waitForAuthorizationCode(): Promise<string> {
    const listener = this.#listener;
    if (!listener) throw new McpProxyError(ErrorCodes.INTERNAL, "No login is in progress");
    const timeout = AbortSignal.timeout(this.#loginTimeout);
    try {
      return await listener.waitForCode(timeout);
    } catch (error) {
      if (!timeout.aborted) throw error;
      const server = `${this.#store.serverUrl.origin}${this.#store.serverUrl.pathname}`;
      throw new McpProxyError(
        ErrorCodes.TIMEOUT,
        `The OAuth login for ${server} did not finish within ${Math.round(this.#loginTimeout / 1000)} s; send the request again to start a new login`,
      );
    }
  }

  /**
   * One authorization at a time per server, across processes: a lock file in the server's
   * directory. The stored credentials are read again once it is held (another process may
   * have just refreshed or logged in), and the redirect listener lives until the attempt ends.
   */
  async authorizing<T>(attempt: () => Promise<T>): Promise<T> {
    await this.#store.ensureDir();
    const server = `${this.#store.serverUrl.origin}${this.#store.serverUrl.pathname}`;
    const release = await acquireLock(this.#store.path("lock"), {
      staleAfter: this.#loginTimeout + LOCK_MARGIN_MS,
      onWait: (holder) =>
        this.#logger.info(
          `Another mcp-proxy process (pid ${holder.pid}) is authorizing with ${server}; waiting for it`,
        ),
    });
    try {
      this.#loaded = false;
      await this.#load();
      await this.#listen(false);
      return await attempt();
    } finally {
      this.#state = undefined;
      const listener = this.#listener;
      this.#listener = undefined;
      await listener?.close();
      await release();
    }
  }

  async #load(): Promise<void> {
    if (this.#loaded) return;
    this.#loaded = true;
    this.#tokens = await this.#store.read<StoredTokens>("tokens");
    const { clientId, clientSecret } = this.#o;
    if (clientId === undefined) {
      this.#client = await this.#store.read<OAuthClientInformationMixed>("client");
    } else if (this.#client?.client_id !== clientId) {
      this.#client = {
        client_id: clientId,
        ...(clientSecret ? { client_secret: clientSecret } : {}),
      };
    }
  }

  /**
   * Binds the redirect listener before auth() reads `redirectUrl`. A free port is the one of the
   * stored registration when possible (servers that compare redirect URIs exactly then accept
   * it); a fixed port that is busy fails only when a login needs it (`required`).
   */
  async #listen(required: boolean): Promise<void> {
    if (this.#listener) return;
    const fixed = this.#o.callbackPort;
    const candidates = fixed ? [fixed] : [registeredPort(this.#client), 0];
    for (const port of candidates) {
      if (port === undefined) continue;
      try {
        this.#listener = await CallbackListener.listen(port);
        return;
      } catch (error) {
        if (port === 0 || (fixed && required)) throw error;
        this.#logger.debug(error instanceof Error ? error.message : String(error));
      }
    }
  }
}

/** The port of a stored registration's loopback redirect URI, if it has one. */
function registeredPort(client: OAuthClientInformationMixed | undefined): number | undefined {
  const uri = (client as { redirect_uris?: unknown } | undefined)?.redirect_uris;
  const first = Array.isArray(uri) ? uri[0] : undefined;
  if (typeof first !== "string") return undefined;
  try {
    const url = new URL(first);
    return url.hostname === CALLBACK_HOST && url.port !== "" ? Number(url.port) : undefined;
  } catch {
    return undefined;
  }
}
