// Turns the command line and MCP_PROXY_* variables into one typed, validated
// configuration per mode. Pure: no I/O, no process state; every bad value
// becomes a UsageError naming the flag or variable it came from.
import type { LogLevel, ProtocolEraOption } from "@mcp-proxy/core";
import { DEFAULT_UPSTREAM_PROTOCOL, isLoopbackHost } from "@mcp-proxy/core/internal";
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_SSE_ENDPOINT,
  DEFAULT_STREAM_ENDPOINT,
  MIN_CLUSTER_SECRET_LENGTH,
} from "@mcp-proxy/http-server";
import {
  DEFAULT_LOGIN_TIMEOUT_MS,
  DEFAULT_PROTOCOL,
  DEFAULT_TRANSPORT,
  type RemoteTransportKind,
} from "@mcp-proxy/stdio-client";
import { detectMode, type Mode, parseArgv, parseBooleanWord } from "./argv.js";
import { childEnvironment, resolveOptions, type SourcedValue } from "./env-vars.js";
import {
  AUTH_FLAGS,
  DEFAULT_CHILD_REQUEST_TIMEOUT_MS,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_EVENT_STORE_MAX_EVENTS,
  DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT_MS,
  type FlagSpec,
  SERVE_FLAGS,
  STDIO_FLAGS,
  TAP_FLAGS,
} from "./flags.js";
import { UsageError } from "./usage-error.js";

export type RestartPolicy = "never" | "on-failure";

/** The child to spawn, with its whole environment already computed. */
export interface ChildConfig {
  command: string;
  args: string[];
  shell: boolean;
  cwd?: string;
  /** The complete environment (never contains MCP_PROXY_* unless set with --env). */
  env: Record<string, string>;
}

export interface LoggingConfig {
  logLevel: LogLevel;
  /** Print every message human-readable on stderr. */
  debug: boolean;
  /** JSON Lines traffic log. */
  logFile?: string;
}

export interface ServeConfig {
  /** The command after `--`; absent with `--config` alone (the aggregate is served at /mcp). */
  child?: ChildConfig;
  /** `--config`: a desktop-client config file of named servers. */
  configFile?: string;
  port: number;
  host: string;
  /** null: transport disabled. */
  streamEndpoint: string | null;
  sseEndpoint: string | null;
  stateless: boolean;
  /** Stateful sessions share a child per capability profile (SharedUpstream); exclusive with `stateless`. */
  shared: boolean;
  /** Serve 2026-07-28 clients on the stream endpoint too. */
  modern: boolean;
  upstreamProtocol: ProtocolEraOption;
  apiKey?: string;
  /** OAuth 2.1 resource server: tokens of these issuers, for this audience, with these scopes. */
  oauth?: OAuthConfig;
  /** Replicas joined through Redis (--cluster). */
  cluster?: ClusterConfig;
  /**
   * false: CORS off; otherwise the allowed origins ("*" for any; absent: every origin that
   * passed the Origin check) and extra allowed request headers.
   */
  cors: false | { origins?: "*" | string[]; allowedHeaders: string[] };
  allowedOrigins?: string[];
  /** Extra Host names accepted on a loopback bind ("*" in the list: no Host check). */
  allowedHosts?: string[];
  sslCa?: string;
  sslCert?: string;
  sslKey?: string;
  keepAliveTimeout?: number;
  gracefulShutdownTimeout: number;
  requestTimeout: number;
  connectionTimeout: number;
  /** Also given as --sessionIdleTimeout (the reference CLI's name). */
  sessionTimeout?: number;
  maxSessions?: number;
  maxUpstreams?: number;
  /** Serve Prometheus metrics at /metrics. */
  metrics: boolean;
  /** false: no limit (`--maxBodySize 0`). */
  maxBodySize?: number | false;
  eventStore: boolean;
  eventStoreMaxEvents: number;
  restart: RestartPolicy;
  logging: LoggingConfig;
}

export interface ClusterConfig {
  /** redis:// or rediss:// URL. */
  url: string;
  secret: string;
  /** Absent: derived from the bound address. */
  advertise?: string;
}

export interface OAuthConfig {
  issuers: string[];
  /** Absent: the proxy's own URL with the stream endpoint. */
  audience?: string;
  scopes: string[];
}

export interface StdioConfig {
  url: string;
  transport: RemoteTransportKind;
  protocol: ProtocolEraOption;
  headers: Record<string, string>;
  bearer?: string;
  sslCa?: string;
  /** OAuth login when the server asks for it; absent with --no-oauth, --bearer or an Authorization header. */
  oauth?: StdioOAuthConfig;
  logging: LoggingConfig;
}

/** The stdio front's OAuth client. */
export interface StdioOAuthConfig {
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  callbackPort?: number;
  loginTimeout: number;
  /** Absent: $XDG_CONFIG_HOME/mcp-proxy, else ~/.config/mcp-proxy. */
  configDir?: string;
}

/** `mcp-proxy auth status|logout [url]`. */
export interface AuthConfig {
  action: "status" | "logout";
  /** Absent for `status`: every server with stored credentials. */
  url?: string;
  configDir?: string;
}

export interface TapConfig {
  child: ChildConfig;
  logFile?: string;
  logLevel: LogLevel;
}

/** What the command line asks for. */
export type Invocation =
  | { kind: "help"; mode: Mode }
  | { kind: "version" }
  | { kind: "serve"; config: ServeConfig }
  | { kind: "stdio"; config: StdioConfig }
  | { kind: "tap"; config: TapConfig }
  | { kind: "auth"; config: AuthConfig };

type Env = Readonly<Record<string, string | undefined>>;

export const FLAGS_BY_MODE: Record<Mode, readonly FlagSpec[]> = {
  serve: SERVE_FLAGS,
  stdio: STDIO_FLAGS,
  tap: TAP_FLAGS,
  auth: AUTH_FLAGS,
};

/** Parses a whole command line (without node and script paths). Throws UsageError. */
export function parseCommandLine(argv: readonly string[], env: Env): Invocation {
  const { mode, rest } = detectMode(argv);
  const specs = FLAGS_BY_MODE[mode];
  const parsed = parseArgv(rest, specs, {
    stopAtPositional: mode !== "stdio" && mode !== "auth",
    helpCommand: mode === "serve" ? "mcp-proxy --help" : `mcp-proxy ${mode} --help`,
  });
  if (parsed.options.help === true) return { kind: "help", mode };
  if (parsed.options.version === true) return { kind: "version" };
  const resolved = resolveOptions(parsed.options, env, specs);
  refuseUnsupported(resolved, specs);
  const values = new Values(resolved, specs);
  switch (mode) {
    case "serve":
      return { kind: "serve", config: buildServeConfig(values, parsed.positionals, env) };
    case "tap":
      return { kind: "tap", config: buildTapConfig(values, parsed.positionals, env) };
    case "stdio":
      return { kind: "stdio", config: buildStdioConfig(values, parsed.positionals) };
    case "auth":
      return { kind: "auth", config: buildAuthConfig(values, parsed.positionals) };
  }
}

/** Reference CLI flags we recognise but do not offer (`refused`): a usage error with the way out. */
function refuseUnsupported(values: Record<string, SourcedValue>, specs: readonly FlagSpec[]): void {
  for (const spec of specs) {
    const v = spec.refused === undefined ? undefined : values[spec.name];
    if (!v) continue;
    // `--no-tunnel` (or MCP_PROXY_TUNNEL=false) asks for what we do anyway.
    const off =
      v.value === false || (typeof v.value === "string" && parseBooleanWord(v.value) === false);
    if (spec.kind === "boolean" && off) continue;
    throw new UsageError(`${v.source} is not supported: ${spec.refused}`);
  }
}

/** Typed access to resolved options, with validation and one-line errors. */
class Values {
  constructor(
    private readonly values: Record<string, SourcedValue>,
    private readonly specs: readonly FlagSpec[],
  ) {}

  private spec(name: string): FlagSpec {
    const spec = this.specs.find((s) => s.name === name);
    if (!spec) throw new Error(`internal: no flag ${name}`);
    return spec;
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    if (!v) return undefined;
    if (typeof v.value !== "string") throw new UsageError(`${v.source} needs a value`);
    return v.value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const v = this.values[name];
    if (!v) return fallback;
    if (typeof v.value === "boolean") return v.value;
    const parsed = typeof v.value === "string" ? parseBooleanWord(v.value) : undefined;
    if (parsed === undefined)
      throw new UsageError(`${v.source} expects true or false, got "${String(v.value)}"`);
    return parsed;
  }

  integer(name: string): number | undefined {
    const v = this.values[name];
    const raw = this.string(name);
    if (raw === undefined || !v) return undefined;
    const spec = this.spec(name);
    const trimmed = raw.trim();
    const n = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    const min = spec.min ?? 0;
    const max = spec.max ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const what = spec.name === "port" ? "a port number (0-65535)" : `a whole number >= ${min}`;
      throw new UsageError(`${v.source} expects ${what}, got "${raw}"`);
    }
    return n;
  }

  choice<T extends string>(name: string): T | undefined {
    const v = this.values[name];
    const raw = this.string(name);
    if (raw === undefined || !v) return undefined;
    const choices = this.spec(name).choices ?? [];
    if (!choices.includes(raw))
      throw new UsageError(`${v.source} expects one of ${choices.join(", ")}, got "${raw}"`);
    return raw as T;
  }

  list(name: string): string[] {
    const v = this.values[name];
    if (!v) return [];
    if (Array.isArray(v.value)) return v.value;
    if (typeof v.value === "string") return [v.value];
    throw new UsageError(`${v.source} needs a value`);
  }

  source(name: string): string {
    return this.values[name]?.source ?? `--${name}`;
  }
}

function endpointPath(values: Values, name: string, fallback: string): string {
  const value = values.string(name) ?? fallback;
  if (!value.startsWith("/"))
    throw new UsageError(`${values.source(name)} must start with "/", got "${value}"`);
  return value;
}

function buildLogging(values: Values): LoggingConfig {
  const debug = values.boolean("debug", false);
  const level = values.choice<LogLevel>("logLevel") ?? (debug ? "debug" : "info");
  const logFile = values.has("logFile") ? values.string("logFile") : undefined;
  return { logLevel: level, debug, ...(logFile ? { logFile } : {}) };
}

function parseEnvEntries(values: Values): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of values.list("env")) {
    const eq = entry.indexOf("=");
    if (eq <= 0) throw new UsageError(`${values.source("env")} expects KEY=VALUE, got "${entry}"`);
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

function buildChild(
  values: Values,
  positionals: string[],
  env: Env,
  usage = "mcp-proxy [options] -- <command> [args...]",
): ChildConfig {
  const [command, ...args] = positionals;
  if (command === undefined || command === "") {
    throw new UsageError(`No command to run: ${usage}`);
  }
  const cwd = values.string("cwd");
  return {
    command,
    args,
    shell: values.boolean("shell", false),
    ...(cwd ? { cwd } : {}),
    env: childEnvironment(env, {
      passEnvironment: values.boolean("passEnvironment", true),
      extra: parseEnvEntries(values),
    }),
  };
}

function buildServeConfig(values: Values, positionals: string[], env: Env): ServeConfig {
  const configFile = values.string("config");
  const child =
    configFile !== undefined && positionals.length === 0
      ? undefined
      : buildChild(values, positionals, env);
  const server = values.choice<"stream" | "sse" | "both">("server") ?? "both";
  let streamEndpoint: string | null =
    server === "sse" ? null : endpointPath(values, "streamEndpoint", DEFAULT_STREAM_ENDPOINT);
  let sseEndpoint: string | null =
    server === "stream" ? null : endpointPath(values, "sseEndpoint", DEFAULT_SSE_ENDPOINT);
  if (values.has("endpoint")) {
    const endpoint = endpointPath(values, "endpoint", "");
    if (server === "both") {
      throw new UsageError(
        `${values.source("endpoint")} needs --server stream or --server sse; with both transports use --streamEndpoint and --sseEndpoint`,
      );
    }
    const other = server === "stream" ? "streamEndpoint" : "sseEndpoint";
    if (values.has(other) && values.string(other) !== endpoint) {
      throw new UsageError(
        `${values.source("endpoint")} and ${values.source(other)} disagree; give one of them`,
      );
    }
    if (server === "stream") streamEndpoint = endpoint;
    else sseEndpoint = endpoint;
  }
  if (streamEndpoint !== null && streamEndpoint === sseEndpoint) {
    throw new UsageError(
      `--streamEndpoint and --sseEndpoint are both "${streamEndpoint}"; give them different paths`,
    );
  }
  // The proxy answers these itself (and /messages carries legacy SSE posts): an endpoint there
  // would never be reached.
  const builtIn = sseEndpoint === null ? ["/ping", "/health"] : ["/ping", "/health", "/messages"];
  for (const [flag, path] of [
    ["--streamEndpoint", streamEndpoint],
    ["--sseEndpoint", sseEndpoint],
  ] as const) {
    if (path !== null && builtIn.includes(path)) {
      throw new UsageError(`${flag} "${path}" is a path the proxy serves itself; pick another`);
    }
  }

  const corsOrigins = values.list("corsOrigin");
  const corsOff = corsOrigins.length === 1 && parseBooleanWord(corsOrigins[0]!) === false;
  const cors: ServeConfig["cors"] = corsOff
    ? false
    : {
        ...(corsOrigins.length === 0
          ? {}
          : { origins: corsOrigins.includes("*") ? "*" : corsOrigins }),
        allowedHeaders: values.list("corsAddAllowedHeader"),
      };

  const stateless = values.boolean("stateless", false);
  const shared = values.boolean("shared", false);
  if (stateless && shared) {
    throw new UsageError(
      "--shared and --stateless exclude each other: --stateless already serves every request from one shared child; --shared keeps sessions on one shared child",
    );
  }
  const sslCert = values.string("sslCert");
  const sslKey = values.string("sslKey");
  if ((sslCert === undefined) !== (sslKey === undefined)) {
    throw new UsageError("--sslCert and --sslKey go together: give both to serve HTTPS");
  }
  const sslCa = values.string("sslCa");
  // Alone it would be silently unused: the server would speak plain HTTP.
  if (sslCa !== undefined && sslCert === undefined) {
    throw new UsageError(
      `${values.source("sslCa")} is used by the HTTPS server only: give it with --sslCert and --sslKey`,
    );
  }
  const maxBodySize = values.integer("maxBodySize");
  const apiKey = values.string("apiKey");
  // `--apiKey "$KEY"` with KEY unset must not quietly serve without auth.
  if (apiKey !== undefined && apiKey.trim() === "") {
    throw new UsageError(
      `${values.source("apiKey")} is empty; give a key, or leave the flag out to serve without one`,
    );
  }
  const host = values.string("host") ?? DEFAULT_HOST;
  const oauth = buildOAuth(values, host, apiKey);
  const cluster = buildCluster(values, oauth);
  const allowedOrigins = values.list("allowedOrigin");
  const allowedHosts = values.list("allowedHost");
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

  return {
    ...optional("child", child),
    ...optional("configFile", configFile),
    port: values.integer("port") ?? DEFAULT_PORT,
    host,
    streamEndpoint,
    sseEndpoint,
    stateless,
    shared,
    modern: values.boolean("modern", true),
    upstreamProtocol:
      values.choice<ProtocolEraOption>("upstreamProtocol") ?? DEFAULT_UPSTREAM_PROTOCOL,
    ...optional("apiKey", apiKey),
    ...optional("oauth", oauth),
    ...optional("cluster", cluster),
    cors,
    ...optional("allowedOrigins", allowedOrigins.length > 0 ? allowedOrigins : undefined),
    ...optional("allowedHosts", allowedHosts.length > 0 ? allowedHosts : undefined),
    ...optional("sslCa", sslCa),
    ...optional("sslCert", sslCert),
    ...optional("sslKey", sslKey),
    ...optional("keepAliveTimeout", values.integer("keepAliveTimeout")),
    gracefulShutdownTimeout:
      values.integer("gracefulShutdownTimeout") ?? DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT_MS,
    requestTimeout: values.integer("requestTimeout") ?? DEFAULT_CHILD_REQUEST_TIMEOUT_MS,
    connectionTimeout: values.integer("connectionTimeout") ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    ...optional("sessionTimeout", values.integer("sessionTimeout")),
    ...optional("maxSessions", values.integer("maxSessions")),
    ...optional("maxUpstreams", values.integer("maxUpstreams")),
    ...optional("maxBodySize", maxBodySize === 0 ? (false as const) : maxBodySize),
    eventStore: values.boolean("eventStore", true),
    eventStoreMaxEvents: values.integer("eventStoreMaxEvents") ?? DEFAULT_EVENT_STORE_MAX_EVENTS,
    restart: values.choice<RestartPolicy>("restart") ?? "never",
    metrics: values.boolean("metrics", false),
    logging: buildLogging(values),
  };
}

/**
 * The OAuth flags: issuers over https (http only on a loopback address: the keys that sign tokens
 * come from there), an audience that is a URL, and neither beside --apiKey (a bearer token would
 * be either). The audience cannot be guessed on an all-interfaces bind.
 */
function buildOAuth(
  values: Values,
  host: string,
  apiKey: string | undefined,
): OAuthConfig | undefined {
  const issuers = values.list("oauthIssuer");
  const audience = values.string("oauthAudience");
  const scope = values.string("oauthScope");
  if (issuers.length === 0) {
    for (const name of ["oauthAudience", "oauthScope"]) {
      if (values.has(name))
        throw new UsageError(
          `${values.source(name)} needs --oauthIssuer (the authorization server)`,
        );
    }
    return undefined;
  }
  if (apiKey !== undefined) {
    throw new UsageError(
      `${values.source("apiKey")} and ${values.source("oauthIssuer")} exclude each other: a bearer token is either the key or an OAuth token`,
    );
  }
  for (const issuer of issuers) {
    let url: URL;
    try {
      url = new URL(issuer);
    } catch {
      throw new UsageError(`${values.source("oauthIssuer")} expects a URL, got "${issuer}"`);
    }
    const loopbackHttp = url.protocol === "http:" && isLoopbackHost(url.hostname);
    if (url.protocol !== "https:" && !loopbackHttp) {
      throw new UsageError(
        `${values.source("oauthIssuer")} must be an https URL (http only on a loopback address), got "${issuer}"`,
      );
    }
  }
  if (audience !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(audience);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.hash !== "") {
      throw new UsageError(
        `${values.source("oauthAudience")} expects the http(s) URL clients use, e.g. https://mcp.example.com/mcp, got "${audience}"`,
      );
    }
  } else if (["0.0.0.0", "::", "[::]", ""].includes(host)) {
    throw new UsageError(
      `--oauthIssuer with --host ${host || '""'} needs --oauthAudience: the URL clients use (e.g. https://mcp.example.com/mcp), which tokens must name`,
    );
  }
  const scopes = (scope ?? "").split(/\s+/).filter((s) => s !== "");
  for (const s of scopes) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))
      throw new UsageError(`${values.source("oauthScope")}: "${s}" is not a scope name`);
  }
  return { issuers, ...(audience ? { audience } : {}), scopes };
}

/**
 * The cluster flags: a Redis URL, a secret long enough to sign with, and an advertised URL that
 * is one. Behind a balancer an OAuth audience cannot be a replica's own URL.
 */
function buildCluster(values: Values, oauth: OAuthConfig | undefined): ClusterConfig | undefined {
  const url = values.string("cluster");
  const secret = values.string("clusterSecret");
  const advertise = values.string("advertise");
  if (url === undefined) {
    for (const name of ["clusterSecret", "advertise"]) {
      if (values.has(name))
        throw new UsageError(
          `${values.source(name)} needs --cluster (the Redis that joins the replicas)`,
        );
    }
    return undefined;
  }
  if (!hasScheme(url, ["redis:", "rediss:"])) {
    throw new UsageError(
      `${values.source("cluster")} expects a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379`,
    );
  }
  if (secret === undefined || secret.length < MIN_CLUSTER_SECRET_LENGTH) {
    throw new UsageError(
      `${values.source("cluster")} needs --clusterSecret (or MCP_PROXY_CLUSTER_SECRET) of ${MIN_CLUSTER_SECRET_LENGTH} characters or more, the same on every replica: it signs the requests they forward to each other`,
    );
  }
  if (advertise !== undefined && !hasScheme(advertise, ["http:", "https:"])) {
    throw new UsageError(
      `${values.source("advertise")} expects the http(s) URL other replicas reach this one at, e.g. http://10.0.0.5:8080, got "${advertise}"`,
    );
  }
  if (oauth && oauth.audience === undefined) {
    throw new UsageError(
      "--oauthIssuer with --cluster needs --oauthAudience: the URL clients use through the load balancer, which tokens must name",
    );
  }
  return { url, secret, ...(advertise !== undefined ? { advertise } : {}) };
}

/** True when `value` parses as a URL with one of `schemes` (e.g. "redis:"). */
function hasScheme(value: string, schemes: readonly string[]): boolean {
  try {
    return schemes.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function buildTapConfig(values: Values, positionals: string[], env: Env): TapConfig {
  const logFile = values.string("logFile");
  return {
    child: buildChild(values, positionals, env, "mcp-proxy tap [options] -- <command> [args...]"),
    ...(logFile ? { logFile } : {}),
    logLevel: values.choice<LogLevel>("logLevel") ?? "info",
  };
}

/** Checks that `url` is an http(s) URL; returns it as given. */
function remoteUrl(url: string): string {
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new UsageError(`Not a URL: "${url}"`);
  }
  if (parsedUrl.protocol !== "http:" && parsedUrl.protocol !== "https:") {
    throw new UsageError(`Expected an http:// or https:// URL, got "${url}"`);
  }
  return url;
}

function buildStdioConfig(values: Values, positionals: string[]): StdioConfig {
  if (positionals.length === 0) throw new UsageError("No URL: mcp-proxy stdio [options] <url>");
  if (positionals.length > 1)
    throw new UsageError(`Expected one URL, got: ${positionals.join(" ")}`);
  const url = remoteUrl(positionals[0]!);
  const headers: Record<string, string> = {};
  for (const header of values.list("header")) {
    const colon = header.indexOf(":");
    const name = colon === -1 ? "" : header.slice(0, colon).trim();
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
      throw new UsageError(`${values.source("header")} expects 'Name: value', got "${header}"`);
    }
    headers[name] = header.slice(colon + 1).trim();
  }
  const bearer = values.string("bearer");
  const sslCa = values.string("sslCa");
  const transport = values.choice<RemoteTransportKind>("transport") ?? DEFAULT_TRANSPORT;
  const protocol = values.choice<ProtocolEraOption>("protocol") ?? DEFAULT_PROTOCOL;
  if (transport === "sse" && protocol === "modern") {
    throw new UsageError(
      "--protocol modern needs Streamable HTTP: --transport sse speaks 2024-11-05 only",
    );
  }
  const oauth = buildStdioOAuth(
    values,
    bearer !== undefined || "authorization" in lowerKeys(headers),
  );
  return {
    url,
    transport,
    protocol,
    headers,
    ...(bearer ? { bearer } : {}),
    ...(sslCa ? { sslCa } : {}),
    ...(oauth ? { oauth } : {}),
    logging: buildLogging(values),
  };
}

const lowerKeys = (record: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));

const STDIO_OAUTH_FLAGS = [
  "oauthClientId",
  "oauthClientSecret",
  "oauthScope",
  "oauthCallbackPort",
  "oauthLoginTimeout",
] as const;

/**
 * The OAuth client of stdio mode: on unless --no-oauth, or a token is given another way
 * (--bearer, an Authorization header), which OAuth flags then contradict.
 */
function buildStdioOAuth(
  values: Values,
  otherAuthorization: boolean,
): StdioOAuthConfig | undefined {
  const given = STDIO_OAUTH_FLAGS.filter((name) => values.has(name));
  if (!values.boolean("oauth", true)) return undefined;
  if (otherAuthorization) {
    if (given.length > 0)
      throw new UsageError(
        `${values.source(given[0]!)} is for OAuth, which --bearer or an Authorization header replaces; give one of them`,
      );
    return undefined;
  }
  const clientId = values.string("oauthClientId");
  const clientSecret = values.string("oauthClientSecret");
  if (clientSecret !== undefined && clientId === undefined)
    throw new UsageError(`${values.source("oauthClientSecret")} needs --oauthClientId`);
  const scope = values.string("oauthScope");
  for (const s of (scope ?? "").split(/\s+/).filter((s) => s !== "")) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))
      throw new UsageError(`${values.source("oauthScope")}: "${s}" is not a scope name`);
  }
  const callbackPort = values.integer("oauthCallbackPort");
  const configDir = values.string("oauthConfigDir");
  return {
    ...(clientId ? { clientId } : {}),
    ...(clientSecret ? { clientSecret } : {}),
    ...(scope?.trim() ? { scope: scope.trim().split(/\s+/).join(" ") } : {}),
    ...(callbackPort !== undefined ? { callbackPort } : {}),
    loginTimeout: values.integer("oauthLoginTimeout") ?? DEFAULT_LOGIN_TIMEOUT_MS,
    ...(configDir ? { configDir } : {}),
  };
}

function buildAuthConfig(values: Values, positionals: string[]): AuthConfig {
  const usage = "mcp-proxy auth status [url] | mcp-proxy auth logout <url>";
  const [action, url, ...extra] = positionals;
  if (action !== "status" && action !== "logout")
    throw new UsageError(
      action === undefined ? `No action: ${usage}` : `Unknown action "${action}": ${usage}`,
    );
  if (extra.length > 0) throw new UsageError(`Expected one URL, got: ${[url, ...extra].join(" ")}`);
  if (action === "logout" && url === undefined) throw new UsageError(`No URL: ${usage}`);
  const configDir = values.string("oauthConfigDir");
  return {
    action,
    ...(url !== undefined ? { url: remoteUrl(url) } : {}),
    ...(configDir ? { configDir } : {}),
  };
}
