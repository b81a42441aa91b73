// The SessionInfo a stateful 2025-era session (Streamable HTTP or HTTP+SSE)
// reports to onConnect and onClose, and the bookkeeping when it ends: it leaves
// the registry, then onClose runs (its failure is logged, never thrown) if
// onConnect accepted it.

import type { Logger } from "@mcp-proxy/core";
import type { ServerContext } from "./context.js";
import type { SessionInfo, StartHTTPServerOptions } from "./options.js";
import type { Session } from "./session-registry.js";
import type { SessionUpstream } from "./upstream.js";

/**
 * Runs onClose for `info` on its own tick; a hook that throws or rejects is
 * logged, never thrown into the transport that closed.
 */
export function reportClosed(
  options: StartHTTPServerOptions,
  logger: Logger,
  info: SessionInfo,
): void {
  void Promise.resolve()
    .then(() => options.onClose?.(info))
    .catch((error: unknown) => logger.warn("onClose failed", { error }));
}

export interface TrackedSession {
  /** Adds the session to the registry; throws (503) once the server is closing. */
  register(): void;
  /** Reports the session to onConnect; what it throws, the caller answers with. */
  connect(): Promise<void>;
}

/** Builds the session's info and reports its end to the registry and to onClose. */
export function trackSession(
  ctx: ServerContext,
  session: Session,
  transport: "streamable-http" | "sse",
  upstream: SessionUpstream,
): TrackedSession {
  const info: SessionInfo = {
    sessionId: session.id,
    transport,
    server: upstream.server,
    upstream: upstream.source,
  };
  let connected = false;
  session.onEnded((reason) => {
    ctx.sessions.remove(session.id);
    if (!connected) return;
    ctx.logger.info("session closed", { session: session.id, transport, reason });
    reportClosed(ctx.options, ctx.logger, info);
  });
  return {
    register: () => ctx.sessions.add(session),
    connect: async () => {
      await ctx.options.onConnect?.(info);
      connected = true;
      ctx.logger.info("session created", { session: session.id, transport });
    },
  };
}
