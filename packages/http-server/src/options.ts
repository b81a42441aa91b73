// The options of startHTTPServer, their defaults in one place, and the handle
// it resolves to. Everything else in the package reads the resolved form.

import type http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type https from "node:https";
import type { ListenSubscriptionsHandler, Logger, ProtocolEraOption } from "@mcp-proxy/core";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { ClusterOptions } from "./cluster-options.js";
import type { CorsOptions } from "./cors.js";
import type { EventStore } from "./event-store.js";
import type { ServerMetrics } from "./metrics.js";
import type { ServerNotifier } from "./notifier.js";
import type { OAuthOptions, ReferenceOAuthOptions } from "./oauth-options.js";

/**
 * What `createServer` returns: an MCP SDK Server of either line (`Server` or `McpServer.server`
 * of `@modelcontextprotocol/sdk` 1.x, `Server` of `@modelcontextprotocol/server` 2.x), or
 * anything else with these two methods. It is connected to an in-process transport.
 */
export interface McpServerLike {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

/** Loopback IPv4: the spec asks local servers to bind to localhost only. */
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8080;
export const DEFAULT_STREAM_ENDPOINT = "/mcp";
export const DEFAULT_SSE_ENDPOINT = "/sse";
export const DEFAULT_MESSAGES_ENDPOINT = "/messages";
/** 10 MiB. */
export const DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024;
/**
 * Idle sessions end after 5 minutes without a request in flight or an open stream. Most clients
 * that vanish never send DELETE (the MCP Inspector's CLI, scripts), and each session holds a
 * child; a client that is still there gets 404 and, as the spec asks, initializes a new session.
 */
export const DEFAULT_SESSION_TIMEOUT_MS = 5 * 60 * 1000;
export const DEFAULT_MAX_SESSIONS = 1000;
/** TCP keep-alive; unrelated to session lifetime. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5000;
/** SSE comment interval on long-lived streams, below common proxy idle cut-offs (60 s). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 15_000;
/** How long close() waits for in-flight requests before failing them. */
export const DEFAULT_CLOSE_GRACE_MS = 3000;

/** What `authenticate` may return. Falsy or `{ authenticated: false }` means 401. */
export type AuthenticateResult =
  | boolean
  | null
  | undefined
  | { authenticated: false; error?: string }
  | { authenticated: true; authInfo?: AuthInfo }
  | AuthInfo;

/** Context passed to `createUpstream`. */
export interface UpstreamContext {
  /**
   * The request that caused the upstream to be created: the initialize POST, the SSE GET, or
   * the 2026-07-28 POST that made the modern gateway open (or reopen) its shared upstream.
   */
  request: IncomingMessage;
  /** The session id, absent for the shared upstreams of stateless mode and of the modern gateway. */
  sessionId?: string;
}

/** A session as seen by `onConnect` / `onClose`. */
export interface SessionInfo<S extends McpServerLike = McpServerLike> {
  /** Absent for shared upstreams (stateless mode, and those serving 2026-07-28 clients). */
  sessionId?: string;
  /** `"modern"`: an upstream shared by 2026-07-28 (stateless-era) clients. */
  transport: "streamable-http" | "sse" | "stateless" | "modern";
  /** The SDK server, when `createServer` made it. */
  server?: S;
  upstream: Transport;
}

export interface HealthStatus {
  ok: boolean;
  detail?: unknown;
}

/** Default of `modern`: both eras on one endpoint. */
export const DEFAULT_MODERN = true;

export interface StartHTTPServerOptions<S extends McpServerLike = McpServerLike> {
  /**
   * Returns an SDK Server (v1 or v2) for each session; it is connected to an in-process
   * transport. The modern gateway calls it once per upstream it runs.
   */
  createServer?: (request: IncomingMessage) => S | Promise<S>;
  /**
   * Returns an SDK Transport (not started) for each session; raw JSON-RPC messages
   * are bridged to it without re-dispatch. Exactly one of createServer/createUpstream.
   */
  createUpstream?: (context: UpstreamContext) => Transport | Promise<Transport>;
  /** Port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Interface to bind. Default "127.0.0.1" (loopback only); use "0.0.0.0" or "::" to serve remote clients. */
  host?: string;
  /** Streamable HTTP path. Default "/mcp"; null disables. */
  streamEndpoint?: string | null;
  /** HTTP+SSE (2024-11-05) stream path. Default "/sse"; null disables (and with it the messages path). */
  sseEndpoint?: string | null;
  /** HTTP+SSE (2024-11-05) messages path. Default "/messages". */
  messagesEndpoint?: string;
  /** Serve Streamable HTTP without sessions, on one shared upstream. Default false. */
  stateless?: boolean;
  /**
   * Also serve MCP 2026-07-28 (stateless) clients on the Streamable HTTP endpoint, classified
   * per POST: a `_meta` "io.modelcontextprotocol/protocolVersion" (or `MCP-Protocol-Version:
   * 2026-07-28` without a session) is modern; `initialize` or an `Mcp-Session-Id` is 2025-era.
   * Modern requests go through a translating gateway to one shared upstream, created with
   * `createUpstream` (a session-less context) or `createServer` once, on the first modern
   * request. Default true; false serves the 2025-era revisions only.
   */
  modern?: boolean;
  /**
   * The protocol era of the upstreams: "legacy" (2025 `initialize`, default), "auto" (probe
   * with `server/discover`, fall back to `initialize`) or "modern" (a 2026-07-28 upstream
   * only). The modern gateway opens its shared upstream this way. 2025-era sessions (Streamable
   * HTTP, HTTP+SSE, and stateless mode's shared upstream) relay their clients' messages to a
   * legacy upstream; in front of a modern one (always with "modern"; with "auto" when the first
   * answered probe finds one, an answer kept for later sessions) they are served through core's
   * LegacyClientAdapter: `initialize` answered from `server/discover`, the modern `_meta` added
   * to requests, input_required turned into server->client requests, subscriptions served by
   * `subscriptions/listen`. Upstreams from `createServer` (2025-era SDK Servers) are always
   * relayed as they are.
   */
  upstreamProtocol?: ProtocolEraOption;
  /** Resumability store for SSE events. Default: a bounded InMemoryEventStore; false disables. */
  eventStore?: EventStore | false;
  /**
   * Bound of the default InMemoryEventStore's events per stream (default 1000): the reference
   * package's option name. Refused beside an `eventStore` instance, which bounds itself.
   */
  eventStoreMaxEvents?: number;
  /**
   * Answer every 2025-era POST and 2026-07-28 request with `application/json` when the client
   * accepts it, never an SSE stream; messages a request causes before its answer (progress,
   * logs) are then not delivered on it, and server requests go to the session's GET stream.
   * Default false: JSON when the answer is all there is, SSE as soon as there is more.
   */
  enableJsonResponse?: boolean;
  /**
   * Told the resource URIs of each 2026-07-28 `subscriptions/listen` stream (after the gateway
   * subscribed them upstream); returns a release run when the stream ends. A rejection fails
   * the listen request. The proxy subscribes its upstream itself: this is for embedders whose
   * changes come from elsewhere (pair it with the handle's `notify`).
   */
  onListenSubscriptions?: ListenSubscriptionsHandler;
  /** Required key, sent as `X-API-Key` (or `Authorization: Bearer <key>`); compared in constant time. */
  apiKey?: string;
  /** Custom auth on every request except /ping, /health and OPTIONS; what it returns reaches handlers as `authInfo`. */
  authenticate?: (request: IncomingMessage) => AuthenticateResult | Promise<AuthenticateResult>;
  /**
   * OAuth 2.1 resource server (MCP authorization): with an `issuer`, every request except /ping,
   * /health, OPTIONS and the RFC 9728 metadata needs a bearer token that issuer signed for this
   * server (401 with a `resource_metadata` challenge otherwise, 403 `insufficient_scope` without the
   * required scopes), and sessions belong to the token's subject and client. Not with `apiKey` or
   * `authenticate` (use `oauth.verify`). The reference package's shape (no `issuer`: `realm`,
   * `protectedResource.resource`, `error`, `scope`, …) only adds its fields to the 401 challenges
   * of `apiKey` and `authenticate`, as the reference does.
   */
  oauth?: OAuthOptions | ReferenceOAuthOptions;
  /** CORS: true/undefined for permissive defaults, false to disable, or options. */
  cors?: boolean | CorsOptions;
  /**
   * Origins allowed to call the server (403 otherwise). Default: same-origin requests, and
   * localhost origins when bound to loopback. "*" allows every origin (not recommended).
   */
  allowedOrigins?: readonly string[] | "*" | ((origin: string) => boolean);
  /**
   * Extra Host names accepted when bound to loopback (localhost, 127.0.0.1 and [::1] always pass).
   * "*" turns the DNS-rebinding Host check off.
   */
  allowedHosts?: readonly string[] | "*";
  /** Called when a session (or the stateless shared upstream) is up. */
  onConnect?: (session: SessionInfo<S>) => void | Promise<void>;
  /** Called when a session ends. */
  onClose?: (session: SessionInfo<S>) => void | Promise<void>;
  /** Handles requests for unknown paths (default: 404 with a JSON-RPC error). */
  onUnhandledRequest?: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;
  /**
   * Readiness hook served at /health (503 when not ok); /ping stays plain liveness. With
   * `modern`, the gateway's health is folded in (`ok` is false while its upstream keeps failing)
   * and, once the gateway has been used, reported as `modern: { healthy, upstreamEra }`.
   */
  health?: () => HealthStatus | Promise<HealthStatus>;
  /** CA certificate(s) for TLS: a file path, or PEM text (detected by "-----BEGIN"). */
  sslCa?: string | null;
  /** TLS certificate: a file path, or PEM text. With sslKey, the server speaks HTTPS. */
  sslCert?: string | null;
  /** TLS private key: a file path, or PEM text. */
  sslKey?: string | null;
  /**
   * Largest accepted request body in bytes (413 beyond). Default 10 MiB. `false` removes the
   * bound (only behind a gateway that limits bodies itself).
   */
  maxBodySize?: number | false;
  /** Idle time in ms (no request in flight, no open stream) after which a session ends. Default 5 min; 0 disables. */
  sessionTimeout?: number;
  /** The reference package's name for `sessionTimeout` (same meaning); refused when both differ. */
  sessionIdleTimeout?: number;
  /** Most concurrent sessions (503 beyond). Default 1000. */
  maxSessions?: number;
  /**
   * Most upstreams the 2026-07-28 gateway runs at once. Its upstreams are kept per client
   * capability profile (a 2025-era server negotiates them once, at initialize), at most 4 per
   * profile, each stopped after 5 minutes without calls; beyond this bound an idle one is stopped
   * to make room, else the request gets 503 with Retry-After. Default 8.
   */
  maxUpstreams?: number;
  /** HTTP keep-alive timeout in ms (TCP only; sessions do not depend on it). Default 5000. */
  keepAliveTimeout?: number;
  /** Interval in ms of SSE keep-alive comments. Default 15000; 0 disables. */
  heartbeatInterval?: number;
  /** How long close() lets in-flight requests finish, in ms. Default 3000. */
  closeGracePeriod?: number;
  /** Where diagnostics go. Default: silent. */
  logger?: Logger;
  /**
   * Named servers, each served at `/servers/<name>/mcp` (both eras) and `/servers/<name>/sse`
   * (messages at `/servers/<name>/messages`) with the same session, stateless and 2026-07-28
   * machinery as the main endpoint; `GET /servers` lists them and `/health` reports each.
   * Names: letters, digits, `.`, `_` and `-`. With servers, `createServer`/`createUpstream` may
   * be left out: the main endpoints then serve the aggregate (see `aggregate`). Change them
   * later with the handle's `servers`.
   */
  servers?: Readonly<Record<string, NamedServerOptions<S>>>;
  /**
   * With `servers` and no `createServer`/`createUpstream`: the main endpoints serve one MCP
   * server offering the tools, prompts and resource templates of every named server, names
   * prefixed `<server><separator>` (default separator "_"), calls routed to their server.
   * Default true; false leaves the main endpoints unanswered (404).
   */
  aggregate?: boolean | AggregateOptions;
  /**
   * Joins this server to others serving the same thing behind a load balancer, with no sticky
   * sessions: it registers in `cluster.registry` (e.g. @mcp-proxy/cluster's RedisRegistry),
   * session ids and parked 2026-07-28 rounds name the replica holding them, and a request that
   * lands on another replica is forwarded there (one hop, signed with `cluster.secret`). A
   * replica that is gone answers as an unknown session (404). close() drains first: /health
   * answers 503 and new sessions go to other replicas while in-flight requests finish.
   */
  cluster?: ClusterOptions;
  /**
   * Measures every HTTP request and serves an exposition at `metrics.path` (default /metrics)
   * with GET, behind the server's auth (the CLI's `--metrics` uses prom-client). Default: none.
   */
  metrics?: ServerMetrics;
}

/** One named server of `servers`: its upstream and the mode of its endpoint. */
export interface NamedServerOptions<S extends McpServerLike = McpServerLike> {
  /** As the top-level `createServer`. Exactly one of createServer/createUpstream. */
  createServer?: (request: IncomingMessage) => S | Promise<S>;
  /** As the top-level `createUpstream`. */
  createUpstream?: (context: UpstreamContext) => Transport | Promise<Transport>;
  /** As the top-level `stateless`, for this server. Default false. */
  stateless?: boolean;
  /** As the top-level `modern`. Default: the top-level value. */
  modern?: boolean;
  /** As the top-level `upstreamProtocol`. Default: the top-level value. */
  upstreamProtocol?: ProtocolEraOption;
  /** As the top-level `maxUpstreams`. Default: the top-level value. */
  maxUpstreams?: number;
  /**
   * As the top-level `sessionTimeout`, for this server's own routes (a session's upstream ends
   * with it). Default: the top-level value. Aggregate sessions follow the main endpoint's.
   */
  sessionTimeout?: number;
  /** This server's readiness, reported by `GET /servers` and `/health`. Default: healthy. */
  health?: () => HealthStatus | Promise<HealthStatus>;
}

/** Separator between a server's name and a tool, prompt or template name in the aggregate. */
export const DEFAULT_AGGREGATE_SEPARATOR = "_";

export interface AggregateOptions {
  /** Between the server name and the item name. Default "_". */
  separator?: string;
}

/** A named server as `GET /servers` lists it. */
export interface NamedServerStatus {
  name: string;
  /** Its Streamable HTTP URL. */
  url: string;
  /** Its HTTP+SSE URL. */
  sseUrl: string;
  status: "healthy" | "unhealthy";
  detail?: unknown;
}

/** The handle's view of the named servers. */
export interface NamedServersHandle {
  /** The names being served. */
  names(): string[];
  /** Starts serving `name` (an existing one is replaced: see `remove`). */
  add(name: string, options: NamedServerOptions): Promise<void>;
  /**
   * Stops serving `name`: new requests get 404 at once; requests in flight finish (within
   * `closeGracePeriod`), then its sessions end (their later requests get 404 too).
   */
  remove(name: string): Promise<void>;
  /** What `GET /servers` answers. */
  list(): Promise<NamedServerStatus[]>;
}

export interface HTTPServerHandle {
  /** Stops accepting, ends streams, closes sessions and upstreams; idempotent. */
  close(): Promise<void>;
  /**
   * Publishes a change to the open 2026-07-28 `subscriptions/listen` streams that opted into it
   * (2025-era sessions hear their own upstream). A no-op with `modern: false`.
   */
  notify: ServerNotifier;
  /** Base URL, e.g. http://127.0.0.1:8080 (no path). */
  url: string;
  port: number;
  host: string;
  server: http.Server | https.Server;
  /** The named servers (empty unless `servers` was given). */
  servers: NamedServersHandle;
  /** This replica in its cluster, with the `cluster` option. */
  cluster: ClusterInfo | undefined;
}

/** A replica as its handle reports it. */
export interface ClusterInfo {
  /** Its id: the prefix of the session ids it issues. */
  id: string;
  /** The URL the other replicas reach it at. */
  url: string;
}

// The reference package's names for the types above, so that code importing them compiles.
/** `eventStore`'s type. */
export type EventStoreOption = EventStore | false;
/** `maxBodySize`'s type. */
export type MaxBodySizeOption = number | false;
/** What startHTTPServer resolves to. */
export type SSEServer = HTTPServerHandle;
