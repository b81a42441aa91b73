// The gateway's listen streams: each modern client's `subscriptions/listen`
// in front of a 2025-era upstream. The listener's
// opted-in kinds are narrowed to what the upstream supports, its resource
// URIs are subscribed upstream (reference-counted across listeners), and the
// stream stays open until the client aborts or the gateway closes.
import type {
  JSONRPCErrorResponse,
  JSONRPCRequest,
  JSONRPCResultResponse,
} from "@modelcontextprotocol/sdk/types.js";
import { JsonRpcErrorCodes } from "../errors.js";
import { jsonRpcError } from "../jsonrpc.js";
import { META } from "../protocol/versions.js";
import type { ListenSubscriptionsHandler } from "./gateway-options.js";
import type { UpstreamPool } from "./pool.js";
import { type ModernSink, safeNotify, safeRespond } from "./sink.js";
import { agreedFilter, type Listener, type SubscriptionRegistry } from "./subscriptions.js";

/** What the listen streams need from the gateway that owns them. */
export interface ListenStreamHooks {
  isClosed(): boolean;
  /** The embedder's hook for the URIs a stream subscribed to (see ModernGatewayOptions). */
  onListenSubscriptions?: ListenSubscriptionsHandler;
  /** Completes a result the 2026 way for `method`. */
  complete(result: Record<string, unknown>, method: string): Record<string, unknown>;
}

export class ListenStreams {
  readonly #subscriptions: SubscriptionRegistry;
  readonly #pool: UpstreamPool;
  readonly #hooks: ListenStreamHooks;
  readonly #ends = new Set<() => void>();

  constructor(subscriptions: SubscriptionRegistry, pool: UpstreamPool, hooks: ListenStreamHooks) {
    this.#subscriptions = subscriptions;
    this.#pool = pool;
    this.#hooks = hooks;
  }

  /** Serves one listen request on a started legacy upstream; resolves when the stream ends. */
  async listen(request: JSONRPCRequest, sink: ModernSink, signal?: AbortSignal): Promise<void> {
    const filter = (request.params as Record<string, unknown> | undefined)?.notifications;
    if (typeof filter !== "object" || filter === null) {
      return safeRespond(
        sink,
        jsonRpcError(
          request.id,
          JsonRpcErrorCodes.INVALID_PARAMS,
          "subscriptions/listen needs params.notifications",
        ) as JSONRPCErrorResponse,
      );
    }
    const agreed = agreedFilter(filter, this.#pool.identity?.capabilities ?? {});
    const listener: Listener = {
      id: request.id,
      filter: agreed,
      uris: new Set(agreed.resourceSubscriptions ?? []),
      acked: false,
      deliver: (n) => safeNotify(sink, n),
    };
    let release: (() => void) | undefined;
    const hook = this.#hooks.onListenSubscriptions;
    if (hook && listener.uris.size > 0) {
      try {
        release = await hook([...listener.uris]);
      } catch (error) {
        return safeRespond(
          sink,
          jsonRpcError(
            request.id,
            JsonRpcErrorCodes.INTERNAL_ERROR,
            `subscriptions/listen: resource subscriptions refused: ${(error as Error)?.message ?? String(error)}`,
          ) as JSONRPCErrorResponse,
        );
      }
    }
    const fresh = this.#subscriptions.add(listener);
    await Promise.all(
      fresh.map((uri) =>
        this.#pool.all((u) => this.#pool.subscribe(u, "resources/subscribe", uri)),
      ),
    );
    const ended = new Promise<void>((resolve) => {
      let done = false;
      const end = (graceful: boolean) => {
        if (done) return;
        done = true;
        signal?.removeEventListener("abort", onAbort);
        this.#ends.delete(onClose);
        for (const uri of this.#subscriptions.remove(listener)) {
          void this.#pool.all((u) => this.#pool.subscribe(u, "resources/unsubscribe", uri));
        }
        try {
          release?.();
        } catch {
          // The embedder's release failing must not keep the stream from ending.
        }
        if (graceful) {
          safeRespond(sink, {
            jsonrpc: "2.0",
            id: request.id,
            result: this.#hooks.complete(
              { _meta: { [META.subscriptionId]: request.id } },
              "subscriptions/listen",
            ),
          } as JSONRPCResultResponse);
        }
        resolve();
      };
      const onAbort = () => end(false);
      const onClose = () => end(true);
      if (signal?.aborted || this.#hooks.isClosed()) return end(!signal?.aborted);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#ends.add(onClose);
    });
    if (!signal?.aborted && !this.#hooks.isClosed()) {
      safeNotify(sink, {
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: { notifications: agreed, _meta: { [META.subscriptionId]: request.id } },
      });
      listener.acked = true;
    }
    return ended;
  }

  /** Ends every open stream with a graceful result (the gateway is closing). */
  endAll(): void {
    for (const end of [...this.#ends]) end();
  }
}
