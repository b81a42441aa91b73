// What a 2025-era client set up over its handshake and a 2026-07-28 server no
// longer keeps: its identity, log level, resource subscriptions and whether it
// said initialized. The requests and notifications that only touch this state
// are answered here; the caller learns what is left for it to do. Shared by the
// LegacyClientAdapter (any Transport) and stdio-client (HTTP).
// Spec: docs/specification/2026-07-28/basic/index.mdx#_meta, basic/patterns/subscriptions.
import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { classifyMessage, messageId } from "../jsonrpc.js";
import type { Logger } from "../logger.js";
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

/** What a client's message may call for; each consumer does it its own way (transport, HTTP). */
export interface LegacyClientActions {
  /** Sends a request upstream as its 2026-07-28 call. */
  call(request: JSONRPCRequest): void;
  /** Answers a request from state. */
  answer(id: RequestId, result: Params): void;
  /** (Re)opens the listen stream with the current filter. */
  reopenListen(): void;
  /** Cancels the client's request `id` in flight. */
  cancel(id: RequestId): void;
  /** Hands a response to the input request waiting for it; false when none is. */
  answerInput(message: JSONRPCMessage): boolean;
  logger: Logger;
}

export class LegacyClientState {
  /** The client's identity from its last initialize. */
  client: LegacyClient | undefined;
  /** The level from logging/setLevel: it now rides on every request's `_meta`. */
  logLevel: string | undefined;
  /** Whether notifications/initialized came: the listen stream opens only then. */
  initialized = false;
  /** The resource URIs the client subscribed to. */
  readonly subscriptions = new Set<string>();

  /** Takes one message from the 2025-era client: state is updated and `actions` told the rest. */
  receive(message: JSONRPCMessage, discover: Params, actions: LegacyClientActions): void {
    const kind = classifyMessage(message);
    if (kind === "request") {
      const request = message as JSONRPCRequest;
      // A repeated initialize is answered from what discover said.
      const step = this.request(request, discover);
      if (step.kind === "upstream") actions.call(request);
      else {
        if (step.reopenListen) actions.reopenListen();
        actions.answer(request.id, step.result);
      }
    } else if (kind === "notification") {
      const notification = message as JSONRPCNotification;
      const step = this.notification(notification);
      if (step.kind === "reopenListen") actions.reopenListen();
      else if (step.kind === "cancel") actions.cancel(step.id);
      else if (step.kind === "unused") {
        // roots/list_changed and the like have no 2026 counterpart.
        actions.logger.debug("Not forwarding a notification a modern server has no use for", {
          method: notification.method,
        });
      }
    } else if (kind === "response" || kind === "error") {
      if (!actions.answerInput(message)) {
        actions.logger.debug("Dropping a response nobody waits for", { id: messageId(message) });
      }
    }
  }

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
