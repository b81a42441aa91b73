// What a 2025-era client set up over its handshake and a 2026-07-28 server no
// longer keeps: its identity, log level, resource subscriptions and whether it
// said initialized. The requests and notifications that only touch this state
// are answered here; the caller learns what is left for it to do. Shared by the
// LegacyClientAdapter (any Transport) and stdio-client (HTTP).
// Spec: docs/specification/2026-07-28/basic/index.mdx#_meta, basic/patterns/subscriptions.
import type {
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import {
  initializeResultFromDiscover,
  type LegacyClient,
  legacyClientOf,
  listenFilterFor,
} from "./translate.js";

type Params = Record<string, unknown>;

/**
 * What the caller must do with a client request: answer it with `result`
 * (after reopening the listen stream when `reopenListen`), or send it upstream.
 */
export type LegacyRequestStep =
  | { kind: "answer"; result: Params; reopenListen: boolean }
  | { kind: "upstream" };

/**
 * What the caller must do with a client notification: reopen the listen
 * stream, cancel the client's request `id`, nothing (`done`), or drop one that
 * has no 2026 counterpart (`unused`).
 */
export type LegacyNotificationStep =
  | { kind: "reopenListen" }
  | { kind: "cancel"; id: RequestId }
  | { kind: "done" }
  | { kind: "unused" };

export class LegacyClientState {
  /** The client's identity from its last initialize. */
  client: LegacyClient | undefined;
  /** The level from logging/setLevel: it now rides on every request's `_meta`. */
  logLevel: string | undefined;
  /** Whether notifications/initialized came: the listen stream opens only then. */
  initialized = false;
  /** The resource URIs the client subscribed to. */
  readonly subscriptions = new Set<string>();

  /** Answers initialize, ping, logging/setLevel and resources/(un)subscribe from state. */
  request(request: JSONRPCRequest, discover: Params): LegacyRequestStep {
    const params = (request.params ?? {}) as Params;
    switch (request.method) {
      case "initialize":
        // No handshake in 2026-07-28: the discover result already says what initialize would.
        this.client = legacyClientOf(request);
        return answer(initializeResultFromDiscover(discover, this.client));
      case "ping":
        return answer({});
      case "logging/setLevel":
        this.logLevel = typeof params.level === "string" ? params.level : undefined;
        return answer({});
      case "resources/subscribe":
      case "resources/unsubscribe": {
        let changed = false;
        if (typeof params.uri === "string") {
          if (request.method === "resources/subscribe") this.subscriptions.add(params.uri);
          else this.subscriptions.delete(params.uri);
          changed = this.initialized;
        }
        return answer({}, changed);
      }
      default:
        return { kind: "upstream" };
    }
  }

  /** Records notifications/initialized and reads the id out of notifications/cancelled. */
  notification(notification: JSONRPCNotification): LegacyNotificationStep {
    const params = (notification.params ?? {}) as Params;
    if (notification.method === "notifications/initialized") {
      this.initialized = true;
      return { kind: "reopenListen" };
    }
    if (notification.method === "notifications/cancelled") {
      const id = params.requestId as RequestId | undefined;
      return id === undefined ? { kind: "done" } : { kind: "cancel", id };
    }
    return { kind: "unused" };
  }

  /** What the listen stream asks for: the list changes the server offers, and the subscribed resources. */
  listenFilter(discover: Params): Params | undefined {
    return listenFilterFor(discover.capabilities as Params | undefined, this.subscriptions);
  }
}

function answer(result: Params, reopenListen = false): LegacyRequestStep {
  return { kind: "answer", result, reopenListen };
}
