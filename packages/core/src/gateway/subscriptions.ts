// subscriptions/listen for a 2025-era upstream: the listeners, what each opted
// into, and reference counts of resource URIs so that `resources/subscribe`
// goes upstream once for the first listener and `resources/unsubscribe` once
// after the last. Notifications are routed, never broadcast.
// Spec: schema SubscriptionFilter, SubscriptionsAcknowledgedNotification.
import type { JSONRPCNotification, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { META } from "../protocol/versions.js";
import { UriHolders } from "../uri-holders.js";

export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

export interface Listener {
  id: RequestId;
  filter: SubscriptionFilter;
  uris: ReadonlySet<string>;
  /** False until the acknowledgement went out: nothing is sent before it. */
  acked: boolean;
  deliver(notification: JSONRPCNotification): void;
}

/** Most resource URIs one listener may subscribe to. */
export const MAX_RESOURCE_SUBSCRIPTIONS = 1000;

const LIST_CHANGED: Readonly<Record<string, keyof SubscriptionFilter>> = {
  "notifications/tools/list_changed": "toolsListChanged",
  "notifications/prompts/list_changed": "promptsListChanged",
  "notifications/resources/list_changed": "resourcesListChanged",
};

/** Which notification kinds the listen stream forwards. */
export const isSubscriptionNotification = (method: string): boolean =>
  method in LIST_CHANGED || method === "notifications/resources/updated";

/**
 * The subset of `requested` the upstream supports (per its capabilities),
 * which is what the acknowledgement reports and what is honoured.
 */
export function agreedFilter(
  requested: unknown,
  capabilities: Record<string, unknown>,
): SubscriptionFilter {
  const r = (typeof requested === "object" && requested !== null ? requested : {}) as Record<
    string,
    unknown
  >;
  const cap = (key: string) =>
    (capabilities[key] ?? undefined) as Record<string, unknown> | undefined;
  const agreed: SubscriptionFilter = {};
  if (r.toolsListChanged === true && cap("tools")?.listChanged) agreed.toolsListChanged = true;
  if (r.promptsListChanged === true && cap("prompts")?.listChanged)
    agreed.promptsListChanged = true;
  if (r.resourcesListChanged === true && cap("resources")?.listChanged)
    agreed.resourcesListChanged = true;
  if (Array.isArray(r.resourceSubscriptions) && cap("resources")?.subscribe) {
    const uris = [
      ...new Set(r.resourceSubscriptions.filter((u): u is string => typeof u === "string")),
    ];
    agreed.resourceSubscriptions = uris.slice(0, MAX_RESOURCE_SUBSCRIPTIONS);
  }
  return agreed;
}

/** True when `updated` is `subscribed` or a sub-resource of it. */
function uriMatches(subscribed: string, updated: string): boolean {
  if (updated === subscribed) return true;
  if (!updated.startsWith(subscribed)) return false;
  const next = updated[subscribed.length];
  return subscribed.endsWith("/") || next === "/" || next === "#" || next === "?";
}

export class SubscriptionRegistry {
  readonly #listeners = new Set<Listener>();
  readonly #uris = new UriHolders<Listener>();

  get size(): number {
    return this.#listeners.size;
  }

  /** Every URI some listener holds: what a fresh upstream must subscribe to. */
  get uris(): string[] {
    return this.#uris.uris;
  }

  get listeners(): Iterable<Listener> {
    return this.#listeners;
  }

  /** Adds a listener; returns the URIs whose count went from 0 to 1 (subscribe upstream). */
  add(listener: Listener): string[] {
    this.#listeners.add(listener);
    return [...listener.uris].filter((uri) => this.#uris.add(uri, listener));
  }

  /** Removes a listener; returns the URIs nobody holds any more (unsubscribe upstream). */
  remove(listener: Listener): string[] {
    if (!this.#listeners.delete(listener)) return [];
    return [...listener.uris].filter((uri) => this.#uris.remove(uri, listener));
  }

  /** Delivers an upstream change notification to each listener that opted into it, tagged with its subscription id. */
  dispatch(notification: JSONRPCNotification): void {
    const method = notification.method;
    const params = (notification.params ?? {}) as Record<string, unknown>;
    const flag = LIST_CHANGED[method];
    const uri = method === "notifications/resources/updated" ? params.uri : undefined;
    for (const listener of this.#listeners) {
      if (!listener.acked) continue;
      if (flag) {
        if (listener.filter[flag] !== true) continue;
      } else if (typeof uri !== "string" || ![...listener.uris].some((s) => uriMatches(s, uri))) {
        continue;
      }
      const meta = (params._meta ?? {}) as Record<string, unknown>;
      listener.deliver({
        jsonrpc: "2.0",
        method,
        params: { ...params, _meta: { ...meta, [META.subscriptionId]: listener.id } },
      });
    }
  }
}
