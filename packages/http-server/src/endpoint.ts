// One MCP endpoint's state: the ServerContext behind a Streamable HTTP path (2025-era
// sessions, stateless mode, the 2026-07-28 gateway) and its HTTP+SSE paths. The main
// endpoint and every named server are one each, built and drained here the same way.
import type { Logger } from "@mcp-proxy/core";
import type { ClusterNode } from "./cluster.js";
import type { ServerContext } from "./context.js";
import { ModernEndpoint } from "./modern-endpoint.js";
import { resolveEventStore, resolveMaxBodySize, resolveSessionTimeout } from "./option-aliases.js";
import { DEFAULT_MAX_SESSIONS, DEFAULT_MODERN, type StartHTTPServerOptions } from "./options.js";
import { SessionRegistry } from "./session-registry.js";
import { StatelessUpstream } from "./stateless.js";
import { SessionUpstreams } from "./upstream.js";

/** The paths an endpoint answers on; `null` disables one. */
export interface EndpointPaths {
  stream: string | null;
  sse: string | null;
  messages: string;
}

/** Which of an endpoint's paths a request is on. */
export type EndpointKind = keyof EndpointPaths;

/** Builds an endpoint's context; nothing starts until its first request. */
export function createEndpointContext(
  options: StartHTTPServerOptions,
  paths: EndpointPaths,
  logger: Logger,
  heartbeatMs: number,
  cluster?: ClusterNode,
): ServerContext {
  // Created eagerly but lazy inside: no upstream until the first modern request.
  const modern =
    (options.modern ?? DEFAULT_MODERN) && paths.stream !== null
      ? new ModernEndpoint(options, {
          upstreamProtocol: options.upstreamProtocol,
          maxUpstreams: options.maxUpstreams,
          heartbeatMs,
          logger,
          requestStatePrefix: cluster?.statePrefix,
        })
      : undefined;
  return {
    options,
    logger,
    eventStore: resolveEventStore(options),
    heartbeatMs,
    maxBodySize: resolveMaxBodySize(options),
    messagesEndpoint: paths.messages,
    sessions: new SessionRegistry(
      options.maxSessions ?? DEFAULT_MAX_SESSIONS,
      resolveSessionTimeout(options),
    ),
    stateless: options.stateless ? new StatelessUpstream(options, logger, heartbeatMs) : undefined,
    upstreams: new SessionUpstreams(options, logger),
    modern,
    closing: false,
    cluster,
  };
}

/**
 * True once the endpoint takes no new sessions: it is closing, or its replica drains (a
 * cluster then hands them to another replica).
 */
export function refusesNewSessions(ctx: ServerContext): boolean {
  return ctx.closing || (ctx.cluster?.draining ?? false);
}

/** True while the endpoint has requests in flight (or sessions being created). */
export function endpointBusy(ctx: ServerContext): boolean {
  return (
    ctx.sessions.reserved > 0 ||
    ctx.sessions.values().some((s) => s.pendingCount > 0) ||
    (ctx.stateless?.pendingCount ?? 0) > 0 ||
    (ctx.modern?.pendingCount ?? 0) > 0
  );
}

/**
 * Ends what the endpoint runs: sessions (their later requests get 404), the stateless upstream
 * and the 2026-07-28 gateway. The caller has let in-flight requests finish (endpointBusy).
 */
export async function closeEndpoint(ctx: ServerContext, graceMs: number): Promise<void> {
  ctx.closing = true;
  await ctx.sessions.closeAll();
  // A creation that outlived the grace period closes its own session: wait for that.
  await waitWhile(() => ctx.sessions.reserved > 0, graceMs);
  await ctx.stateless?.close();
  // Ends open listen streams gracefully and fails what is still in flight.
  await ctx.modern?.close();
}

/** Polls `busy` every 20 ms until it is false or `ms` have passed. */
export async function waitWhile(busy: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (busy() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
