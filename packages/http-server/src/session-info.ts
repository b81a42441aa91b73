// The SessionInfo a stateful 2025-era session (Streamable HTTP or HTTP+SSE)
// reports to onConnect and onClose, and the bookkeeping when it ends: it leaves
// the registry, then onClose runs (its failure is logged, never thrown).
import type { ServerContext } from "./context.js";
import type { SessionInfo } from "./options.js";
import type { SessionUpstream } from "./session-upstream.js";

/** A session that says when it has ended. */
interface EndingSession {
  readonly id: string;
  onEnded(callback: () => void): void;
}

/** Builds the session's info and reports its end to the registry and to onClose. */
export function trackSession(
  ctx: ServerContext,
  session: EndingSession,
  transport: "streamable-http" | "sse",
  upstream: SessionUpstream,
): SessionInfo {
  const info: SessionInfo = {
    sessionId: session.id,
    transport,
    server: upstream.server,
    upstream: upstream.source,
  };
  session.onEnded(() => {
    ctx.sessions.remove(session.id);
    void Promise.resolve()
      .then(() => ctx.options.onClose?.(info))
      .catch((error: unknown) => ctx.logger.warn("onClose failed", { error }));
  });
  return info;
}
