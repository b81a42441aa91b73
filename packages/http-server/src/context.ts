// The resolved state every handler shares: options with their defaults
// applied, the session registry, and each mode's handler by the interface the
// others use. server.ts builds the concrete ones; nothing here names them, so
// reading one handler never means reading every mode.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger, ProtocolEra } from "@mcp-proxy/core";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { ParsedBody } from "./body.js";
import type { ClusterNode } from "./cluster.js";
import type { EventStore } from "./event-store.js";
import type { PostContext } from "./exchange.js";
import type { StartHTTPServerOptions } from "./options.js";
import type { AcceptInfo } from "./request-info.js";
import type { SessionRegistry } from "./session-registry.js";
import type { UpstreamOpener } from "./upstream.js";

/** Stateless mode: 2025-era POSTs without sessions, on one shared upstream (StatelessUpstream). */
export interface StatelessHandler {
  /** The version the shared upstream agreed to, once it has. */
  readonly negotiatedVersion: string | undefined;
  /** Requests in flight that close() lets finish within its grace period. */
  readonly pendingCount: number;
  handlePost(body: ParsedBody, post: PostContext): Promise<void>;
  close(): Promise<void>;
}

/** The 2026-07-28 side of the Streamable HTTP endpoint (ModernEndpoint). */
export interface ModernHandler {
  /** False once upstream failures exceed the gateway's restart budget. */
  readonly healthy: boolean;
  /** The upstream's era once the gateway has started one. */
  readonly upstreamEra: ProtocolEra | undefined;
  /** Requests (not listen streams) in flight that close() lets finish. */
  readonly pendingCount: number;
  /** Serves one modern POST whose body is `message` (already parsed once). */
  handlePost(
    req: IncomingMessage,
    res: ServerResponse,
    message: JSONRPCMessage,
    accept: AcceptInfo,
    authInfo?: AuthInfo,
  ): Promise<void>;
  close(): Promise<void>;
}

export interface ServerContext {
  options: StartHTTPServerOptions;
  logger: Logger;
  eventStore: EventStore | undefined;
  heartbeatMs: number;
  maxBodySize: number;
  messagesEndpoint: string;
  /** The stateful sessions of both kinds (Streamable HTTP and HTTP+SSE). */
  sessions: SessionRegistry;
  stateless: StatelessHandler | undefined;
  /** Opens each 2025-era session's upstream in the configured upstream era. */
  upstreams: UpstreamOpener;
  /** The 2026-07-28 gateway on the Streamable HTTP endpoint; undefined with `modern: false`. */
  modern: ModernHandler | undefined;
  /** True once close() began: no new sessions. */
  closing: boolean;
  /** This replica's part in a cluster (`cluster` option): ids name it, others' are forwarded. */
  cluster: ClusterNode | undefined;
}
