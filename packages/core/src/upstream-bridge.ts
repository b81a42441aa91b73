// One upstream SDK Client (v1 or v2), many downstream consumers of its
// notifications. The bridge listens once per Client and fans each change
// notification out to every sink; resource subscriptions are held per lease
// and reference-counted per URI, so the upstream is asked `resources/subscribe`
// for the first holder and `resources/unsubscribe` after the last (or, on a
// 2026-07-28 upstream, its listen stream is reopened with the new URI set).
import type {
  LoggingMessageNotification,
  ResourceUpdatedNotification,
} from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, McpProxyError } from "./errors.js";
import { type Logger, silentLogger } from "./logger.js";
import { tapNotifications } from "./notification-tap.js";
import type { RequestOptionsLike, RpcMessage, UpstreamClientLike } from "./sdk-shapes.js";
import { isModernClient, UpstreamListen } from "./upstream-listen.js";
import { UriHolders } from "./uri-holders.js";

export type LoggingMessageParams = LoggingMessageNotification["params"];
export type ResourceUpdatedParams = ResourceUpdatedNotification["params"];

/**
 * One consumer of the upstream's notifications. Every callback is optional,
 * so a sink takes only what it can deliver (a 2026-07-28 downstream has no
 * use for `loggingMessage`). A callback that throws is logged and does not
 * keep the other sinks from the notification.
 */
export interface UpstreamNotificationSink {
  loggingMessage?: (params: LoggingMessageParams) => void;
  promptsListChanged?: () => void;
  resourcesListChanged?: () => void;
  /** Offered to every sink: ask the lease (`owns`) whether this one subscribed. */
  resourceUpdated?: (params: ResourceUpdatedParams) => void;
  toolsListChanged?: () => void;
}

/**
 * One consumer's stake in the shared upstream: its sink and the resource
 * URIs it holds. One lease releasing a URI never cancels it for another.
 */
export interface UpstreamLease {
  /** Holds `uri`; subscribes upstream when nobody held it. Rejects (holding nothing) if the upstream refuses. */
  addResourceSubscription(uri: string): Promise<void>;
  /** Lets go of `uri`; unsubscribes upstream when this was the last holder. */
  removeResourceSubscription(uri: string): Promise<void>;
  /** Whether this lease holds `uri`: the test a sink applies to `resourceUpdated`. */
  owns(uri: string): boolean;
  /**
   * Drops the sink and every URI the lease holds. Idempotent. The promise
   * settles once the upstream has been told; it never rejects (failures are
   * logged), so it may be ignored.
   */
  release(): Promise<void>;
}

export interface UpstreamBridge {
  /** Adds a sink; on a 2026-07-28 upstream the first one opens the listen stream. */
  subscribe(sink: UpstreamNotificationSink): UpstreamLease;
  /**
   * Stops listening and closes any listen stream; idempotent. Subscriptions
   * are not undone upstream (the Client is usually closing too). A later
   * `getUpstreamBridge` for the same Client makes a fresh bridge.
   */
  close(): Promise<void>;
}

export interface UpstreamBridgeOptions {
  /** The upstream SDK Client (v1 or v2). */
  client: UpstreamClientLike;
  /**
   * Timeout for the upstream calls the bridge makes, in ms (SDK default when
   * absent). The bridge is shared: only the first call for a Client sets it.
   */
  requestTimeout?: number;
  /** Where background failures go (default: silent). Only the first call for a Client sets it. */
  logger?: Logger;
}

export interface AcquireListenSubscriptionsOptions extends UpstreamBridgeOptions {
  /** The resource URIs to hold, all or none. */
  uris: string[];
}

type Route = (sink: UpstreamNotificationSink, params: Record<string, unknown>) => void;

// What each upstream notification is for a sink. A Map, not an object, so a
// method named like an Object.prototype member finds nothing.
const ROUTES = new Map<string, Route>([
  [
    "notifications/message",
    (sink, params) => {
      if (typeof params.level === "string") sink.loggingMessage?.(params as LoggingMessageParams);
    },
  ],
  [
    "notifications/resources/updated",
    (sink, params) => {
      if (typeof params.uri === "string") sink.resourceUpdated?.(params as ResourceUpdatedParams);
    },
  ],
  ["notifications/tools/list_changed", (sink) => sink.toolsListChanged?.()],
  ["notifications/prompts/list_changed", (sink) => sink.promptsListChanged?.()],
  ["notifications/resources/list_changed", (sink) => sink.resourcesListChanged?.()],
]);

const bridges = new WeakMap<UpstreamClientLike, UpstreamBridge>();

/**
 * The bridge for `client`, made on first use and shared after: one listener
 * per Client, however many consumers. It listens through the Client's fallback
 * notification handler without displacing other listeners there (proxyServer
 * on the same Client keeps relaying), so notifications the Client has a
 * specific handler for do not reach it.
 */
export function getUpstreamBridge(options: UpstreamBridgeOptions): UpstreamBridge {
  const existing = bridges.get(options.client);
  if (existing) return existing;
  assertUpstreamClient(options.client);
  const bridge = new Bridge(options);
  bridges.set(options.client, bridge);
  return bridge;
}

/**
 * Holds every URI in `uris` on a fresh lease, or none: when the upstream
 * refuses one, what was taken is released (upstream too) before the promise
 * rejects with that refusal. Resolves to the function that releases them all;
 * fits an `onListenSubscriptions` hook for 2026-07-28 clients, which name
 * their URIs in a `subscriptions/listen` filter.
 */
export async function acquireListenSubscriptions(
  options: AcquireListenSubscriptionsOptions,
): Promise<() => Promise<void>> {
  const { uris, ...bridgeOptions } = options;
  const lease = getUpstreamBridge(bridgeOptions).subscribe({});
  // Settled rather than Promise.all: releasing on the first refusal while
  // later URIs are still queued would leave those held once they land.
  const outcomes = await Promise.allSettled(uris.map((uri) => lease.addResourceSubscription(uri)));
  const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (refused) {
    await lease.release();
    throw refused.reason;
  }
  return () => lease.release();
}

function assertUpstreamClient(client: unknown): void {
  const members =
    client !== null && typeof client === "object" ? (client as Record<string, unknown>) : {};
  const missing = ["getServerCapabilities", "subscribeResource", "unsubscribeResource"].filter(
    (name) => typeof members[name] !== "function",
  );
  if (missing.length > 0) {
    throw new TypeError(
      `getUpstreamBridge: \`client\` is not an MCP SDK Client (v1 or v2): missing ${missing.join(", ")}`,
    );
  }
}

function closedError(what: string): McpProxyError {
  return new McpProxyError(ErrorCodes.SHUTTING_DOWN, `The ${what} is closed`);
}

class Bridge implements UpstreamBridge {
  readonly #client: UpstreamClientLike;
  readonly #options: RequestOptionsLike;
  readonly #logger: Logger;
  readonly #sinks = new Set<UpstreamNotificationSink>();
  #holders = new UriHolders<UpstreamLease>();
  readonly #listen: UpstreamListen;
  readonly #untap: () => void;
  // Every change to the holders and the upstream call it implies run here, one
  // at a time: otherwise a release dropping a URI to no holders and a new
  // holder claiming it could reach the upstream in the wrong order.
  #queue: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;

  constructor({ client, requestTimeout, logger = silentLogger }: UpstreamBridgeOptions) {
    this.#client = client;
    this.#options = requestTimeout === undefined ? {} : { timeout: requestTimeout };
    this.#logger = logger;
    this.#listen = new UpstreamListen({
      client,
      options: this.#options,
      logger,
      uris: () => this.#holders.uris,
      enqueue: (work) => this.#enqueue(work),
    });
    this.#untap = tapNotifications(client, (notification) => this.#fanOut(notification));
  }

  subscribe(sink: UpstreamNotificationSink): UpstreamLease {
    if (this.#closing) throw closedError("upstream bridge");
    this.#sinks.add(sink);
    if (isModernClient(this.#client)) {
      // Failing to listen must not fail the consumer: its requests still work.
      this.#enqueue(() => this.#listen.ensure()).catch((error: unknown) => {
        this.#logger.warn("could not open the upstream subscriptions/listen stream", { error });
      });
    }
    let released: Promise<void> | undefined;
    const lease: UpstreamLease = {
      addResourceSubscription: (uri) =>
        this.#enqueue(async () => {
          if (released) throw closedError("lease");
          await this.#hold(lease, uri);
        }),
      removeResourceSubscription: (uri) => this.#enqueue(() => this.#letGo(lease, [uri])),
      owns: (uri) => this.#holders.holders(uri)?.has(lease) ?? false,
      release: () => {
        if (released) return released;
        this.#sinks.delete(sink);
        released = this.#enqueue(() =>
          this.#letGo(
            lease,
            this.#holders.uris.filter((uri) => lease.owns(uri)),
          ),
        ).catch((error: unknown) => {
          this.#logger.warn("could not release upstream resource subscriptions", { error });
        });
        return released;
      },
    };
    return lease;
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#untap();
    this.#sinks.clear();
    if (bridges.get(this.#client) === this) bridges.delete(this.#client);
    // Queued, so an open in flight finishes first and is the stream closed.
    this.#closing = this.#enqueue(async () => {
      this.#holders = new UriHolders();
      await this.#listen.close();
    }).catch((error: unknown) => {
      this.#logger.warn("could not close the upstream subscriptions/listen stream", { error });
    });
    return this.#closing;
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #hold(lease: UpstreamLease, uri: string): Promise<void> {
    if (this.#closing) throw closedError("upstream bridge");
    if (lease.owns(uri)) return;
    // Already subscribed upstream on another lease's behalf.
    if (!this.#holders.add(uri, lease)) return;
    try {
      if (isModernClient(this.#client)) await this.#listen.refresh();
      else await this.#client.subscribeResource({ uri }, this.#options);
    } catch (error) {
      // Undone, so no unsubscribe is ever sent for what the upstream refused.
      this.#holders.remove(uri, lease);
      throw error;
    }
  }

  async #letGo(lease: UpstreamLease, uris: string[]): Promise<void> {
    // The URIs nobody holds any more once this lease lets go.
    const unheld: string[] = [];
    for (const uri of uris) {
      if (lease.owns(uri) && this.#holders.remove(uri, lease)) unheld.push(uri);
    }
    if (unheld.length === 0 || this.#closing) return;
    if (isModernClient(this.#client)) {
      await this.#listen.refresh();
      return;
    }
    const outcomes = await Promise.allSettled(
      unheld.map((uri) => this.#client.unsubscribeResource({ uri }, this.#options)),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) throw failed.reason;
  }

  #fanOut(notification: RpcMessage): void {
    const route = ROUTES.get(notification.method);
    if (!route) return;
    const params = notification.params ?? {};
    for (const sink of this.#sinks) {
      try {
        route(sink, params);
      } catch (error) {
        this.#logger.warn("an upstream notification sink threw", {
          method: notification.method,
          error,
        });
      }
    }
  }
}
