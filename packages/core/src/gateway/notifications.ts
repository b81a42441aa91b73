// Routing of upstream notifications to the client requests they belong to.
// A stdio upstream's notifications carry no request context, so each kind is
// attributed by what it does carry (progress token, subscription id) or, for
// logs, only when a single request can own it; nothing is ever broadcast.
import type { JSONRPCNotification } from "@modelcontextprotocol/sdk/types.js";
import { META } from "../protocol/versions.js";
import { soleMatch } from "../sole-match.js";
import { type Call, endCall, LOG_RANK } from "./call.js";
import { safeNotify } from "./sink.js";
import { isSubscriptionNotification, type SubscriptionRegistry } from "./subscriptions.js";
import type { Upstream } from "./upstream.js";

/**
 * Delivers `n` from `upstream` to its round or listeners, or drops it.
 * `onToolsChanged` runs for tools list_changed (cached schemas go stale).
 */
export function routeUpstreamNotification(
  upstream: Upstream<Call>,
  n: JSONRPCNotification,
  subscriptions: SubscriptionRegistry,
  onToolsChanged: () => void,
): void {
  const params = (n.params ?? {}) as Record<string, unknown>;
  switch (n.method) {
    case "notifications/progress": {
      const token = params.progressToken;
      const call = typeof token === "string" ? upstream.remapper.peek(token)?.owner : undefined;
      const round = call?.round;
      if (round?.progressToken === undefined) return;
      safeNotify(round.sink, { ...n, params: { ...params, progressToken: round.progressToken } });
      return;
    }
    case "notifications/message": {
      // Attributed only when unambiguous. A 2025-era upstream logs for any
      // request, so it must be the only request in flight; a modern one logs
      // only for requests that asked, so it must be the only one that asked.
      const round =
        upstream.identity?.era === "modern"
          ? soleMatch(upstream.calls, (call) => call.round?.logLevel !== undefined)?.round
          : soleMatch(upstream.calls)?.round;
      const level = LOG_RANK[String(params.level)] ?? 0;
      if (round?.logLevel === undefined || level < (LOG_RANK[round.logLevel] ?? 0)) return;
      safeNotify(round.sink, n);
      return;
    }
    case "notifications/cancelled": {
      const id = params.requestId;
      if (upstream.identity?.era === "modern" && typeof id === "string") {
        // On stdio a modern server ends a listen stream this way: end ours too.
        const call = upstream.remapper.incoming(id)?.owner;
        if (!call) return;
        const round = call.round;
        call.round = undefined;
        endCall(call);
        round?.finish();
        return;
      }
      for (const call of upstream.calls) {
        for (const [key, input] of call.inputs) if (input.serverId === id) call.inputs.delete(key);
      }
      return;
    }
  }
  if (n.method === "notifications/tools/list_changed") onToolsChanged();
  if (upstream.identity?.era === "modern") {
    // A modern upstream tags listen notifications with its own (remapped) listen id.
    const sub = (params._meta as Record<string, unknown> | undefined)?.[META.subscriptionId];
    const call = typeof sub === "string" ? upstream.remapper.peek(sub)?.owner : undefined;
    const round = call?.round;
    if (!round) return;
    const meta = {
      ...(params._meta as Record<string, unknown>),
      [META.subscriptionId]: round.clientId,
    };
    safeNotify(round.sink, { ...n, params: { ...params, _meta: meta } });
    return;
  }
  if (isSubscriptionNotification(n.method)) subscriptions.dispatch(n);
}
