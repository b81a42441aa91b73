// OAuth for the client transports (MCP authorization, 2025-06-18 on): every
// request carries the provider's access token; a 401, or a 403 with
// `insufficient_scope`, runs the SDK's `auth()` (discovery, registration,
// PKCE, refresh, code exchange) with the provider, and the request is sent
// once more. The provider owns storage and the login itself; this module owns
// when to authorize and that one process authorizes one server at a time.
// Spec: docs/specification/2025-11-25/basic/authorization.mdx
import { ErrorCodes, type Logger, McpProxyError } from "@mcp-proxy/core";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type Dispatcher, fetch as undiciFetch } from "undici";
import { excerpt, header } from "./http.js";
import type { HttpClientOptions } from "./options.js";

/**
 * An SDK `OAuthClientProvider` that can also complete a login by itself. The SDK's interface
 * stops at `redirectToAuthorization`; with these methods the transports can wait for the
 * redirect and finish. A plain provider works too: its tokens are sent and refreshed, and a
 * login it would need fails the request with a clear error.
 */
export interface OAuthLoginProvider extends OAuthClientProvider {
  /**
   * Runs one authorization `attempt` with what it needs held (e.g. a lock shared with other
   * processes, and the listener `redirectUrl` names) and releases it afterwards.
   */
  authorizing?<T>(attempt: () => Promise<T>): Promise<T>;
  /**
   * After `redirectToAuthorization`: resolves with the authorization code the redirect brought
   * back (its `state` checked); rejects when the login fails or takes too long.
   */
  waitForAuthorizationCode?(): Promise<string>;
}

/** What a transport's requests share for OAuth. */
export interface OAuthContext {
  provider: OAuthLoginProvider;
  /** The MCP server's URL (the resource). */
  serverUrl: URL;
  /** The transport's dispatcher: the authorization server is reached the same way (proxy, CA). */
  dispatcher: Dispatcher;
  logger: Logger;
}

/**
 * The OAuth context of a transport, or undefined without `authProvider`. Throws a TypeError when
 * another Authorization is configured beside it (which of the two would the server get?).
 */
export function oauthContextOf(
  options: HttpClientOptions,
  serverUrl: URL,
  dispatcher: Dispatcher,
  logger: Logger,
): OAuthContext | undefined {
  const provider = options.authProvider;
  if (provider === undefined) return undefined;
  checkAuthOptions(options);
  return { provider, serverUrl, dispatcher, logger };
}

/** Throws a TypeError when `authProvider` comes with another source of the Authorization header. */
export function checkAuthOptions(options: HttpClientOptions): void {
  if (options.authProvider === undefined) return;
  if (options.bearer !== undefined)
    throw new TypeError("Pass bearer or authProvider, not both: both set the Authorization header");
  if (Object.keys(options.headers ?? {}).some((name) => name.toLowerCase() === "authorization"))
    throw new TypeError(
      "Pass an Authorization header or authProvider, not both: the provider sets the Authorization header",
    );
}

/** A request's need for a login: `interactive` requests may open the browser, background ones may not. */
export type AuthorizationMode = "interactive" | "background";

/** What a 401 or 403 asked for, from its `WWW-Authenticate` Bearer challenge. */
interface Challenge {
  resourceMetadataUrl?: URL;
  scope?: string;
  error?: string;
  /** The answer carried a Bearer challenge (without one, only well-known discovery can tell). */
  bearer?: boolean;
}

/** The error of a background request that would need a login: it is not started. */
class LoginDeferred extends Error {}

/** An OAuth authorization (refresh, registration, login, exchange) that failed. */
export class AuthorizationError extends McpProxyError {
  override readonly name = "AuthorizationError";
}

/** The last authorization queued per provider: one runs at a time in this process. */
const queues = new WeakMap<
  OAuthClientProvider,
  { done: Promise<unknown>; mode: AuthorizationMode }
>();

/** The SDK's auth module, loaded on first use: a server without OAuth never needs it. */
const sdkAuth = () => import("@modelcontextprotocol/sdk/client/auth.js");

async function accessToken(provider: OAuthClientProvider): Promise<string | undefined> {
  return (await provider.tokens())?.access_token;
}

async function challengeOf(
  headers: Record<string, string | string[] | undefined>,
  status: number,
): Promise<Challenge> {
  const value = header(headers, "www-authenticate");
  if (value === undefined) return {};
  const { extractWWWAuthenticateParams } = await sdkAuth();
  return extractWWWAuthenticateParams(
    new Response(null, { status, headers: { "www-authenticate": value } }),
  );
}

/** Statuses whose response has no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch` for the SDK's auth requests, through the transport's dispatcher (so that a proxy and a
 * custom CA apply to the authorization server too). The answer is rebuilt as the global
 * `Response`: the SDK tells error answers apart with `instanceof Response`, and undici's own
 * class is another one.
 */
function fetchVia(dispatcher: Dispatcher): FetchLike {
  return async (url: string | URL, init?: RequestInit) => {
    const answer = await undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
    const body = NULL_BODY.has(answer.status) ? null : (answer.body as ReadableStream | null);
    return new Response(body, {
      status: answer.status,
      statusText: answer.statusText,
      headers: answer.headers as unknown as Headers,
    });
  };
}

/** The provider seen by `auth()`, with some members replaced; everything else is the provider's own. */
function viewOf(
  provider: OAuthLoginProvider,
  replaced: Partial<Record<keyof OAuthLoginProvider, unknown>>,
): OAuthLoginProvider {
  return new Proxy(provider, {
    get(target, name) {
      if (Object.hasOwn(replaced, name)) return replaced[name as keyof OAuthLoginProvider];
      const value = Reflect.get(target, name, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function scopeUnion(...scopes: Array<string | undefined>): string | undefined {
  const all = new Set(scopes.flatMap((s) => (s ?? "").split(" ")).filter((s) => s !== ""));
  return all.size === 0 ? undefined : [...all].join(" ");
}

/**
 * Authorizes `context.provider` for its server after the request sent with `failedToken` was
 * refused. Another authorization that finished meanwhile (in this process or, through the
 * provider's lock, in another) is used as is. Throws an McpProxyError that says what failed.
 */
export async function authorize(
  context: OAuthContext,
  challenge: Challenge & { status: number },
  failedToken: string | undefined,
  mode: AuthorizationMode,
): Promise<void> {
  const { provider } = context;
  const previous = queues.get(provider);
  const go = () => {
    const attempt = () => attemptAuthorization(context, challenge, failedToken, mode);
    return provider.authorizing ? provider.authorizing(attempt) : attempt();
  };
  // Requests that waited for a login share its outcome: a login that failed or timed out is
  // not followed at once by another browser window for each of them.
  const run = previous
    ? previous.done.then(go, (error: unknown) => {
        if (previous.mode === "interactive") throw error;
        return go();
      })
    : go();
  const entry = { done: run, mode };
  queues.set(provider, entry);
  try {
    await run;
  } finally {
    if (queues.get(provider) === entry) queues.delete(provider);
  }
}

async function attemptAuthorization(
  context: OAuthContext,
  challenge: Challenge & { status: number },
  failedToken: string | undefined,
  mode: AuthorizationMode,
): Promise<void> {
  const { provider, serverUrl, logger } = context;
  const where = `${serverUrl.origin}${serverUrl.pathname}`;
  const current = await provider.tokens();
  // Someone authorized while this request was refused: try what they got.
  if (current?.access_token !== undefined && current.access_token !== failedToken) return;

  const stepUp = challenge.status === 403;
  // A step-up needs a new grant: a refresh keeps the old scopes, so stored tokens are hidden
  // from auth() (they stay stored until new ones replace them).
  const replaced: Partial<Record<keyof OAuthLoginProvider, unknown>> = stepUp
    ? { tokens: () => undefined }
    : {};
  if (mode === "background") {
    replaced.redirectToAuthorization = () => {
      throw new LoginDeferred();
    };
  }
  const view = viewOf(provider, replaced);
  const scope = stepUp ? scopeUnion(current?.scope, challenge.scope) : challenge.scope;
  const { auth } = await sdkAuth();
  const options = {
    serverUrl,
    fetchFn: fetchVia(context.dispatcher),
    ...(scope !== undefined ? { scope } : {}),
    ...(challenge.resourceMetadataUrl
      ? { resourceMetadataUrl: challenge.resourceMetadataUrl }
      : {}),
  };
  try {
    logger.debug(
      stepUp
        ? `${where} needs the scope "${challenge.scope ?? "?"}": authorizing again`
        : `${where} answered ${challenge.status}: authorizing`,
    );
    let result = await auth(view, options);
    if (result === "REDIRECT") {
      if (!provider.waitForAuthorizationCode) {
        throw new AuthorizationError(
          ErrorCodes.UNAUTHORIZED,
          `${where} needs an OAuth login, which the authProvider cannot complete by itself (it has no waitForAuthorizationCode); log in with it, then reconnect`,
        );
      }
      const code = await provider.waitForAuthorizationCode();
      result = await auth(view, { ...options, authorizationCode: code });
    }
    if (result !== "AUTHORIZED") throw new Error(`auth() ended with ${result}`);
    logger.info(`Authorized with ${where}`);
  } catch (error) {
    if (error instanceof LoginDeferred) {
      throw new AuthorizationError(
        ErrorCodes.UNAUTHORIZED,
        `${where} needs a new OAuth login; it starts with the next request from the MCP client`,
      );
    }
    if (error instanceof AuthorizationError) throw error;
    if (error instanceof McpProxyError)
      throw new AuthorizationError(error.code, error.message, { cause: error });
    // One line: the SDK's messages may quote a whole response body.
    const reason = excerpt(error instanceof Error ? error.message : String(error), 300);
    // Without a Bearer challenge the server may want another credential altogether.
    const hint = challenge.bearer
      ? ""
      : " (it sent no OAuth challenge: if it wants another credential, pass it as a bearer token or header)";
    throw new AuthorizationError(
      ErrorCodes.UNAUTHORIZED,
      `OAuth authorization with ${where} failed: ${reason}${hint}`,
      { cause: error },
    );
  }
}

/** `Authorization: Bearer` for a token, or nothing. */
function authorizationHeader(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** The Authorization header with the provider's current token, for a request that is not retried. */
export async function currentAuthorization(
  context: OAuthContext | undefined,
): Promise<Record<string, string>> {
  return context === undefined ? {} : authorizationHeader(await accessToken(context.provider));
}

/**
 * Sends a request through `send`, which builds it with the given Authorization header. With an
 * OAuth context, a 401 or a 403 `insufficient_scope` is followed by an authorization and the
 * request is sent once more; the second answer is returned whatever it is.
 */
export async function sendAuthorized(
  context: OAuthContext | undefined,
  mode: AuthorizationMode,
  send: (authorization: Record<string, string>) => Promise<Dispatcher.ResponseData>,
): Promise<Dispatcher.ResponseData> {
  if (context === undefined) return send({});
  const token = await accessToken(context.provider);
  const response = await send(authorizationHeader(token));
  if (response.statusCode !== 401 && response.statusCode !== 403) return response;
  const challenge = await challengeOf(response.headers, response.statusCode);
  if (response.statusCode === 403 && challenge.error !== "insufficient_scope") return response;
  // A challenge of another scheme only (Basic, an API key's): OAuth is not what is asked for.
  const scheme = header(response.headers, "www-authenticate");
  const bearer = scheme !== undefined && /(^|[\s,])bearer(\s|,|$)/i.test(scheme);
  if (scheme !== undefined && !bearer) return response;
  await response.body.dump().catch(() => {});
  await authorize(context, { ...challenge, bearer, status: response.statusCode }, token, mode);
  const retried = await send(authorizationHeader(await accessToken(context.provider)));
  retries.add(retried);
  return retried;
}

/** Answers to requests sent again after an authorization. */
const retries = new WeakSet<Dispatcher.ResponseData>();

/** Whether `response` answered a request sent again after an authorization (for error messages). */
export function afterAuthorization(response: Dispatcher.ResponseData): boolean {
  return retries.has(response);
}
