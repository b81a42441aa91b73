// The resolved state every handler shares: options with their defaults
// applied, the session registry and the settings sessions are built with.
import type { Logger } from "@mcp-proxy/core";
import type { EventStore } from "./event-store.js";
import type { LegacySession } from "./legacy-sse.js";
import type { ModernEndpoint } from "./modern-endpoint.js";
import type { StartHTTPServerOptions } from "./options.js";
import type { SessionRegistry } from "./session-registry.js";
import type { SessionUpstreams } from "./session-upstream.js";
import type { StatelessUpstream } from "./stateless.js";
import type { StreamableSession } from "./streamable-session.js";

export interface ServerContext {
  options: StartHTTPServerOptions;
  logger: Logger;
  eventStore: EventStore | undefined;
  heartbeatMs: number;
  maxBodySize: number;
  messagesEndpoint: string;
  sessions: SessionRegistry<StreamableSession | LegacySession>;
  stateless: StatelessUpstream | undefined;
  /** Opens each 2025-era session's upstream in the configured upstream era. */
  upstreams: SessionUpstreams;
  /** The 2026-07-28 gateway on the Streamable HTTP endpoint; undefined with `modern: false`. */
  modern: ModernEndpoint | undefined;
  /** True once close() began: no new sessions. */
  closing: boolean;
}
