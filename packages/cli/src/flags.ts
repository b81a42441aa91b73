// The one table of every flag the CLI accepts, per mode: name, kind, default,
// help group and text. Parsing, MCP_PROXY_* env vars, help and the README's
// flag table all derive from it, so a flag cannot exist in one and not another.
import { DEFAULT_MAX_UPSTREAMS, DEFAULT_UPSTREAM_PROTOCOL } from "@mcp-proxy/core/internal";
import {
  DEFAULT_HOST,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_EVENTS_PER_STREAM,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_PORT,
  DEFAULT_SESSION_TIMEOUT_MS,
  DEFAULT_SSE_ENDPOINT,
  DEFAULT_STREAM_ENDPOINT,
} from "@mcp-proxy/http-server";
import {
  DEFAULT_LOGIN_TIMEOUT_MS,
  DEFAULT_PROTOCOL,
  DEFAULT_TRANSPORT,
} from "@mcp-proxy/stdio-client";

/** How a flag's value is read. */
export type FlagKind = "boolean" | "string" | "integer" | "enum" | "list";

export interface FlagSpec {
  /** camelCase name as on the command line (`--sseEndpoint`); kebab-case is accepted too. */
  name: string;
  kind: FlagKind;
  /** Help group heading. */
  group: string;
  description: string;
  /** Placeholder in help for flags that take a value. */
  valueName?: string;
  /** Default shown in help (the real defaults live in config.ts constants). */
  defaultLabel?: string;
  /** For enum flags. */
  choices?: readonly string[];
  /** Inclusive bounds for integer flags. */
  min?: number;
  max?: number;
  /**
   * Boolean flags that default to true: help shows their `--no-<name>`. (Every boolean flag
   * accepts `--no-<name>`, as the reference CLI's do; only these need it.)
   */
  negatable?: boolean;
  /** Separator of several values in the env var of a list flag. */
  envSeparator?: "," | "\n";
  /** Short alias (`-h`). */
  short?: string;
  /**
   * This flag is another name of the flag `aliasOf` (the reference CLI's spelling): its value is
   * read and validated as that flag's. Both given with different values is a usage error.
   */
  aliasOf?: string;
  /**
   * A flag of the reference CLI that we recognise but do not offer: setting it (other than to
   * false) is a usage error with this reason, which names a way out. Hidden from help and README.
   */
  refused?: string;
}

// The server's own defaults (port, host, endpoints, limits) are http-server's and the stdio
// front's are stdio-client's; these are the CLI's (the child's deadlines, shutdown, and the
// flag name of http-server's per-stream event bound).
/** `--requestTimeout`: how long the child may take to answer a request (not initialize), ms. */
export const DEFAULT_CHILD_REQUEST_TIMEOUT_MS = 300_000;
/** `--connectionTimeout`: how long the child may take to answer initialize, ms. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 60_000;
export const DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT_MS = 5_000;
export const DEFAULT_EVENT_STORE_MAX_EVENTS = DEFAULT_MAX_EVENTS_PER_STREAM;

const GENERAL = "General";
const SERVER = "HTTP server";
const SECURITY = "Security";
const OAUTH = "OAuth";
const CLUSTER = "Cluster";
const SESSIONS = "Sessions and limits";
const CHILD = "Child process";
const LOGGING = "Logging";

const MAX_MS = 2_147_483_647;

// The reference CLI opens a public tunnel by a flag. We do not: the proxy spawns a process for
// whoever connects, so publishing it is a decision for a tool made for that, set up on purpose.
const NO_TUNNEL =
  "mcp-proxy opens no public tunnel; run one in front of it instead (e.g. `cloudflared tunnel --url http://127.0.0.1:8080` or `ngrok http 8080`, for the proxy's --host/--port), with --apiKey set and --allowedHost <the tunnel's host name>";

const HELP: FlagSpec = {
  name: "help",
  kind: "boolean",
  group: GENERAL,
  description: "Show this help",
  short: "h",
};
const VERSION: FlagSpec = {
  name: "version",
  kind: "boolean",
  group: GENERAL,
  description: "Print the version",
  short: "v",
};

const LOG_LEVEL: FlagSpec = {
  name: "logLevel",
  kind: "enum",
  group: LOGGING,
  description: "Log level of the proxy's own messages on stderr",
  valueName: "level",
  choices: ["debug", "info", "warn", "error", "silent"],
  defaultLabel: "info",
};
const DEBUG: FlagSpec = {
  name: "debug",
  kind: "boolean",
  group: LOGGING,
  description: "Log level debug, and every message human-readable on stderr",
};
const LOG_FILE: FlagSpec = {
  name: "logFile",
  kind: "string",
  group: LOGGING,
  description: "Append every message and lifecycle event as JSON Lines to this file",
  valueName: "path",
};

const CHILD_FLAGS: FlagSpec[] = [
  {
    name: "shell",
    kind: "boolean",
    group: CHILD,
    description: "Run the command through the user's shell ($SHELL, else /bin/sh)",
  },
  {
    name: "env",
    kind: "list",
    group: CHILD,
    description: "Set a variable in the child's environment (repeatable)",
    valueName: "KEY=VALUE",
    envSeparator: "\n",
  },
  {
    name: "cwd",
    kind: "string",
    group: CHILD,
    description: "Working directory of the child",
    valueName: "dir",
  },
  {
    name: "passEnvironment",
    kind: "boolean",
    group: CHILD,
    description:
      "Pass the proxy's environment (minus MCP_PROXY_*) to the child; when off, only HOME, PATH, SHELL, TERM, USER, LOGNAME",
    negatable: true,
    defaultLabel: "true",
  },
];

const SSL_CA: FlagSpec = {
  name: "sslCa",
  kind: "string",
  group: SECURITY,
  description:
    "PEM file of CA certificates for the HTTPS server (e.g. to verify client certificates)",
  valueName: "path",
};

const OAUTH_CONFIG_DIR: FlagSpec = {
  name: "oauthConfigDir",
  kind: "string",
  group: OAUTH,
  description:
    "Directory of the stored OAuth credentials (one 0700 directory per server under oauth/, files 0600)",
  valueName: "dir",
  defaultLabel: "$XDG_CONFIG_HOME/mcp-proxy, else ~/.config/mcp-proxy",
};

/** Flags of the main mode: `mcp-proxy [options] -- <command> [args...]`. */
export const SERVE_FLAGS: readonly FlagSpec[] = [
  {
    name: "config",
    kind: "string",
    group: SERVER,
    description:
      'Serve the servers of a desktop-client config file ({ "mcpServers": { ... } }) at /servers/<name>/mcp, and all of them aggregated at /mcp unless a command is given; SIGHUP rereads it',
    valueName: "file",
  },
  {
    name: "port",
    kind: "integer",
    group: SERVER,
    description: "Port to listen on (0 picks a free port)",
    valueName: "port",
    defaultLabel: String(DEFAULT_PORT),
    min: 0,
    max: 65535,
  },
  {
    name: "host",
    kind: "string",
    group: SERVER,
    description: "Interface to bind; 0.0.0.0 or :: to listen on all interfaces",
    valueName: "host",
    defaultLabel: DEFAULT_HOST,
  },
  {
    name: "server",
    kind: "enum",
    group: SERVER,
    description: "Transports to serve: stream (Streamable HTTP), sse (legacy HTTP+SSE) or both",
    valueName: "type",
    choices: ["stream", "sse", "both"],
    defaultLabel: "both",
  },
  {
    name: "endpoint",
    kind: "string",
    group: SERVER,
    description: "Endpoint of the single enabled transport (needs --server stream or sse)",
    valueName: "path",
  },
  {
    name: "streamEndpoint",
    kind: "string",
    group: SERVER,
    description: "Streamable HTTP endpoint",
    valueName: "path",
    defaultLabel: DEFAULT_STREAM_ENDPOINT,
  },
  {
    name: "sseEndpoint",
    kind: "string",
    group: SERVER,
    description: "HTTP+SSE endpoint (messages are posted to /messages)",
    valueName: "path",
    defaultLabel: DEFAULT_SSE_ENDPOINT,
  },
  {
    name: "stateless",
    kind: "boolean",
    group: SERVER,
    description:
      "No sessions: one shared child, started and initialised on the first request, serves every 2025-era request",
  },
  {
    name: "shared",
    kind: "boolean",
    group: SERVER,
    description:
      "Stateful sessions share a child per client capability profile, ids remapped per session (for servers whose tools keep no per-session state); not with --stateless",
  },
  {
    name: "modern",
    kind: "boolean",
    group: SERVER,
    description:
      "Also serve MCP 2026-07-28 (stateless) clients on the Streamable HTTP endpoint, translated for the child; --no-modern serves 2025-era clients only",
    negatable: true,
    defaultLabel: "true",
  },
  {
    name: "upstreamProtocol",
    kind: "enum",
    group: SERVER,
    description:
      "Protocol era of the child: legacy (2025 initialize), auto (probe with server/discover, else initialize) or modern (the child speaks 2026-07-28; 2025-era clients are translated)",
    valueName: "era",
    choices: ["legacy", "auto", "modern"],
    defaultLabel: DEFAULT_UPSTREAM_PROTOCOL,
  },
  {
    name: "keepAliveTimeout",
    kind: "integer",
    group: SERVER,
    description: "HTTP keep-alive timeout of idle sockets in ms (sessions do not depend on it)",
    valueName: "ms",
    defaultLabel: String(DEFAULT_KEEP_ALIVE_TIMEOUT_MS),
    min: 0,
    max: MAX_MS,
  },
  {
    name: "gracefulShutdownTimeout",
    kind: "integer",
    group: SERVER,
    description: "On SIGINT/SIGTERM, wait this long for a clean close, then force",
    valueName: "ms",
    defaultLabel: String(DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT_MS),
    min: 0,
    max: MAX_MS,
  },
  {
    name: "apiKey",
    kind: "string",
    group: SECURITY,
    description: "Require this key in the X-API-Key header (or as a Bearer token)",
    valueName: "key",
  },
  {
    name: "oauthIssuer",
    kind: "list",
    group: OAUTH,
    description:
      "Require OAuth access tokens (JWT) from this authorization server, as an OAuth 2.1 resource server with RFC 9728 metadata (repeatable; https, or http on a loopback address)",
    valueName: "url",
    envSeparator: ",",
  },
  {
    name: "oauthAudience",
    kind: "string",
    group: OAUTH,
    description:
      "The resource URL tokens must name in aud: the URL clients use for the stream endpoint (required with --host 0.0.0.0 or ::)",
    valueName: "url",
    defaultLabel: "http://<host>:<port><streamEndpoint>",
  },
  {
    name: "oauthScope",
    kind: "string",
    group: OAUTH,
    description:
      "Scopes every token must carry, space-separated (403 insufficient_scope otherwise)",
    valueName: "'scopes'",
  },
  {
    name: "cluster",
    kind: "string",
    group: CLUSTER,
    description:
      "Join the replicas behind a load balancer through this Redis (redis:// or rediss://): a request reaches the replica that owns its session or parked round, whichever replica it lands on; no sticky sessions",
    valueName: "redis-url",
  },
  {
    name: "clusterSecret",
    kind: "string",
    group: CLUSTER,
    description:
      "Shared by every replica: signs the requests they forward to each other (16 characters or more; prefer the env var MCP_PROXY_CLUSTER_SECRET)",
    valueName: "secret",
  },
  {
    name: "advertise",
    kind: "string",
    group: CLUSTER,
    description: "The URL the other replicas reach this one at (e.g. http://10.0.0.5:8080)",
    valueName: "url",
    defaultLabel: "http://<bound address, or first IPv4 for 0.0.0.0>:<port>",
  },
  {
    name: "corsOrigin",
    kind: "list",
    group: SECURITY,
    description:
      "Allowed CORS origin (repeatable), also trusted by the Origin check; * for any (which turns the browser Origin check off; the Host check stays), off to disable CORS",
    valueName: "origin",
    defaultLabel: "origins that pass the Origin check",
    envSeparator: ",",
  },
  {
    name: "corsAddAllowedHeader",
    kind: "list",
    group: SECURITY,
    description: "Extra request header to allow in CORS preflight (repeatable)",
    valueName: "header",
    envSeparator: ",",
  },
  {
    name: "allowedOrigin",
    kind: "list",
    group: SECURITY,
    description:
      "Origin accepted by the DNS-rebinding Origin check (repeatable; * for any). Default: same-origin, plus localhost origins on a loopback bind",
    valueName: "origin",
    envSeparator: ",",
  },
  {
    name: "allowedHost",
    kind: "list",
    group: SECURITY,
    description:
      "Extra Host name accepted on a loopback bind, e.g. behind a reverse proxy (repeatable; * turns the Host check off)",
    valueName: "host",
    envSeparator: ",",
  },
  SSL_CA,
  {
    name: "sslCert",
    kind: "string",
    group: SECURITY,
    description: "PEM certificate: serve HTTPS (with --sslKey)",
    valueName: "path",
  },
  {
    name: "sslKey",
    kind: "string",
    group: SECURITY,
    description: "PEM private key for --sslCert",
    valueName: "path",
  },
  {
    name: "requestTimeout",
    kind: "integer",
    group: SESSIONS,
    description: "Answer a request with an error when the child has not answered within this time",
    valueName: "ms",
    defaultLabel: String(DEFAULT_CHILD_REQUEST_TIMEOUT_MS),
    min: 1,
    max: MAX_MS,
  },
  {
    name: "connectionTimeout",
    kind: "integer",
    group: SESSIONS,
    description:
      "Answer initialize with an error when the child has not answered it within this time",
    valueName: "ms",
    defaultLabel: String(DEFAULT_CONNECTION_TIMEOUT_MS),
    min: 1,
    max: MAX_MS,
  },
  {
    name: "sessionTimeout",
    kind: "integer",
    group: SESSIONS,
    description:
      "End a session (and its child) after this long with no request in flight and no open stream (clients that vanish rarely send DELETE); 0 never",
    valueName: "ms",
    defaultLabel: `${DEFAULT_SESSION_TIMEOUT_MS} (5 min)`,
    min: 0,
    max: MAX_MS,
  },
  {
    name: "sessionIdleTimeout",
    kind: "integer",
    group: SESSIONS,
    description: "Same as --sessionTimeout (the reference CLI's name for it); give one of the two",
    valueName: "ms",
    aliasOf: "sessionTimeout",
    min: 0,
    max: MAX_MS,
  },
  {
    name: "maxSessions",
    kind: "integer",
    group: SESSIONS,
    description: "Refuse new sessions (503) beyond this many",
    valueName: "n",
    defaultLabel: String(DEFAULT_MAX_SESSIONS),
    min: 1,
  },
  {
    name: "maxUpstreams",
    kind: "integer",
    group: SESSIONS,
    description:
      "Most shared children at once (503 beyond): the 2026-07-28 gateway's and --shared's, one set per client capability profile",
    valueName: "n",
    defaultLabel: String(DEFAULT_MAX_UPSTREAMS),
    min: 1,
  },
  {
    name: "maxBodySize",
    kind: "integer",
    group: SESSIONS,
    description:
      "Largest accepted request body in bytes (413 beyond); 0 no limit (only behind a gateway that limits bodies itself)",
    valueName: "bytes",
    defaultLabel: `${DEFAULT_MAX_BODY_SIZE} (10 MiB)`,
    min: 0,
  },
  {
    name: "eventStore",
    kind: "boolean",
    group: SESSIONS,
    description: "Keep recent events so clients can resume streams (Last-Event-ID)",
    negatable: true,
    defaultLabel: "true",
  },
  {
    name: "eventStoreMaxEvents",
    kind: "integer",
    group: SESSIONS,
    description: "Events kept per stream by the event store",
    valueName: "n",
    defaultLabel: String(DEFAULT_EVENT_STORE_MAX_EVENTS),
    min: 1,
  },
  {
    name: "restart",
    kind: "enum",
    group: CHILD,
    description:
      "When the shared child of --stateless or --shared dies: never (the proxy exits with its code) or on-failure (restart with backoff)",
    valueName: "policy",
    choices: ["never", "on-failure"],
    defaultLabel: "never",
  },
  ...CHILD_FLAGS,
  LOG_LEVEL,
  DEBUG,
  LOG_FILE,
  {
    name: "metrics",
    kind: "boolean",
    group: LOGGING,
    description:
      "Serve Prometheus metrics at /metrics on the same port, behind the same auth (requests, latency, bytes, refusals, sessions, children)",
  },
  HELP,
  VERSION,
  {
    name: "tunnel",
    kind: "boolean",
    group: SERVER,
    description: "Not supported (the reference CLI's public tunnel)",
    refused: NO_TUNNEL,
  },
  {
    name: "tunnelSubdomain",
    kind: "string",
    group: SERVER,
    description: "Not supported (the reference CLI's tunnel subdomain)",
    valueName: "name",
    refused: NO_TUNNEL,
  },
];

/** Flags of `mcp-proxy stdio <url>`. */
export const STDIO_FLAGS: readonly FlagSpec[] = [
  {
    name: "transport",
    kind: "enum",
    group: "Remote server",
    description: "Transport of the remote server: stream, sse, or auto (stream, then sse)",
    valueName: "type",
    choices: ["stream", "sse", "auto"],
    defaultLabel: DEFAULT_TRANSPORT,
  },
  {
    name: "protocol",
    kind: "enum",
    group: "Remote server",
    description:
      "Protocol era towards the remote server: legacy (2025 initialize), auto (probe for 2026-07-28, else legacy) or modern",
    valueName: "era",
    choices: ["legacy", "auto", "modern"],
    defaultLabel: DEFAULT_PROTOCOL,
  },
  {
    name: "header",
    kind: "list",
    group: SECURITY,
    description: "Send this HTTP header with every request (repeatable)",
    valueName: "'Name: value'",
    envSeparator: "\n",
  },
  {
    name: "bearer",
    kind: "string",
    group: SECURITY,
    description: "Send Authorization: Bearer <token>",
    valueName: "token",
  },
  {
    ...SSL_CA,
    description:
      "PEM file of the CA certificates to trust for the remote server (replaces the default roots)",
  },
  {
    name: "oauth",
    kind: "boolean",
    group: OAUTH,
    description:
      "Log in with OAuth when the server answers 401: the browser opens on the authorization server (the URL is also printed on stderr), tokens are kept per server and refreshed; off with --bearer or an Authorization --header",
    negatable: true,
    defaultLabel: "true",
  },
  {
    name: "oauthClientId",
    kind: "string",
    group: OAUTH,
    description:
      "A client registered with the authorization server beforehand (default: the client registers itself, RFC 7591)",
    valueName: "id",
  },
  {
    name: "oauthClientSecret",
    kind: "string",
    group: OAUTH,
    description: "The secret of --oauthClientId, for a confidential client",
    valueName: "secret",
  },
  {
    name: "oauthScope",
    kind: "string",
    group: OAUTH,
    description:
      "Scopes to ask for, space-separated, when neither the server's challenge nor its metadata names any",
    valueName: "'scopes'",
  },
  {
    name: "oauthCallbackPort",
    kind: "integer",
    group: OAUTH,
    description:
      "Port of the redirect URI http://127.0.0.1:<port>/callback, for authorization servers that need it registered exactly",
    valueName: "port",
    defaultLabel: "a free port",
    min: 1,
    max: 65535,
  },
  {
    name: "oauthLoginTimeout",
    kind: "integer",
    group: OAUTH,
    description:
      "Fail the request that started a browser login when it has not finished in this time",
    valueName: "ms",
    defaultLabel: `${DEFAULT_LOGIN_TIMEOUT_MS} (5 min)`,
    min: 1,
    max: MAX_MS,
  },
  OAUTH_CONFIG_DIR,
  LOG_LEVEL,
  DEBUG,
  LOG_FILE,
  HELP,
  VERSION,
];

/** Flags of `mcp-proxy auth status|logout [url]`. */
export const AUTH_FLAGS: readonly FlagSpec[] = [OAUTH_CONFIG_DIR, HELP, VERSION];

/** Flags of `mcp-proxy tap [options] -- <command> [args...]`. */
export const TAP_FLAGS: readonly FlagSpec[] = [
  {
    ...LOG_FILE,
    description: "Write the log as JSON Lines to this file instead of human-readable on stderr",
  },
  ...CHILD_FLAGS,
  LOG_LEVEL,
  HELP,
  VERSION,
];

/** `sseEndpoint` -> `sse-endpoint`. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `sse-endpoint` -> `sseEndpoint`; camelCase input is returned as is. */
export function camelCase(name: string): string {
  return name.replace(/-([a-zA-Z])/g, (_, c: string) => c.toUpperCase());
}

/** The env var of a flag: `sseEndpoint` -> `MCP_PROXY_SSE_ENDPOINT`. */
export function envVarName(name: string): string {
  return `MCP_PROXY_${kebabCase(name).replace(/-/g, "_").toUpperCase()}`;
}
