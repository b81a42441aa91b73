// The upstream bridge's 2026-07-28 half. A modern upstream sends change
// notifications only on a `subscriptions/listen` stream the client opened, and
// has no `resources/subscribe`: the URIs to watch are part of the stream's
// filter. The filter is fixed when the stream opens, so a change to the set of
// URIs replaces the stream. Only a v2 Client can open one.
import type { Logger } from "./logger.js";
import type {
  ListenFilter,
  ListenStream,
  RequestOptionsLike,
  UpstreamClientLike,
} from "./sdk-shapes.js";

/** Delay before the first reopen of a stream the upstream dropped; doubles per attempt. */
const LISTEN_REOPEN_BASE_DELAY_MS = 250;
/** Reopens tried in a row before giving up until the next subscription change. */
const MAX_LISTEN_REOPEN_ATTEMPTS = 5;
/** A stream that lived this long was healthy: its drop starts a fresh count. */
const LISTEN_STABLE_AFTER_MS = 30_000;

export interface UpstreamListenOptions {
  client: UpstreamClientLike;
  options: RequestOptionsLike;
  logger: Logger;
  /** The URIs somebody holds, read at each open. */
  uris: () => string[];
  /** Runs `work` in the bridge's queue, so reopening never races a subscription change. */
  enqueue: (work: () => Promise<void>) => Promise<void>;
}

/** True when `client` negotiated 2026-07-28 and can open listen streams (v2 only). */
export function isModernClient(client: UpstreamClientLike): boolean {
  return client.getProtocolEra?.() === "modern" && typeof client.listen === "function";
}

export class UpstreamListen {
  readonly #o: UpstreamListenOptions;
  #stream: ListenStream | undefined;
  #attempts = 0;
  #reopenTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: UpstreamListenOptions) {
    this.#o = options;
  }

  /** Opens a stream if none is open. Call inside the bridge's queue. */
  async ensure(): Promise<void> {
    if (this.#stream) return;
    // An open asked for from outside (a new sink, a subscription change) is
    // not part of a drop storm: the automatic reopens count from zero again.
    this.#attempts = 0;
    await this.#open();
  }

  /** Replaces the stream with one for the current URIs. Call inside the bridge's queue. */
  async refresh(): Promise<void> {
    this.#attempts = 0;
    await this.#open();
  }

  /** Closes the stream and stops reopening; idempotent. Call inside the bridge's queue. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = undefined;
    const stream = this.#stream;
    this.#stream = undefined;
    await stream?.close();
  }

  async #open(): Promise<void> {
    if (this.#closed) return;
    const { client, options } = this.#o;
    const filter = this.#filter();
    const previous = this.#stream;
    if (!filter) {
      this.#stream = undefined;
      await previous?.close();
      return;
    }
    if (typeof client.listen !== "function") {
      throw new TypeError("upstream bridge: this Client cannot open subscriptions/listen streams");
    }
    const opened = await client.listen(filter, options);
    this.#stream = opened;
    const openedAt = Date.now();
    void opened.closed.then((reason) => this.#ended(opened, reason, openedAt));
    // Closed only once its replacement is live, so no change falls in the gap.
    await previous?.close();
  }

  /** The filter for what is wanted now, or undefined when nothing is. */
  #filter(): ListenFilter | undefined {
    const capabilities = this.#o.client.getServerCapabilities();
    const filter: ListenFilter = {
      toolsListChanged: capabilities?.tools?.listChanged === true,
      promptsListChanged: capabilities?.prompts?.listChanged === true,
      resourcesListChanged: capabilities?.resources?.listChanged === true,
      resourceSubscriptions: this.#o.uris(),
    };
    const wanted =
      filter.toolsListChanged ||
      filter.promptsListChanged ||
      filter.resourcesListChanged ||
      (filter.resourceSubscriptions?.length ?? 0) > 0;
    return wanted ? filter : undefined;
  }

  #ended(stream: ListenStream, reason: string, openedAt: number): void {
    // A replaced or locally closed stream is no longer ours to mourn.
    if (this.#closed || this.#stream !== stream) return;
    this.#stream = undefined;
    // Only an unexpected drop is chased: "graceful" is the upstream ending
    // the subscription on purpose (on shutdown); the next change reopens.
    if (reason !== "remote") {
      this.#o.logger.info("upstream ended its subscriptions/listen stream", { reason });
      return;
    }
    if (Date.now() - openedAt >= LISTEN_STABLE_AFTER_MS) this.#attempts = 0;
    this.#scheduleReopen();
  }

  #scheduleReopen(): void {
    if (this.#closed || this.#reopenTimer) return;
    if (this.#attempts >= MAX_LISTEN_REOPEN_ATTEMPTS) {
      this.#o.logger.error(
        "gave up reopening the upstream subscriptions/listen stream; the next subscription change retries",
        { attempts: this.#attempts },
      );
      return;
    }
    // Backoff, so an upstream that accepts a listen and drops it at once is
    // not asked again as fast as the round trip allows.
    const delay = LISTEN_REOPEN_BASE_DELAY_MS * 2 ** this.#attempts++;
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = undefined;
      this.#o
        .enqueue(async () => {
          if (!this.#stream) await this.#open();
        })
        .catch((error: unknown) => {
          this.#o.logger.warn("could not reopen the upstream subscriptions/listen stream", {
            error,
          });
          this.#scheduleReopen();
        });
    }, delay);
    // A shutdown landing inside the window must not be held up by it.
    this.#reopenTimer.unref();
  }
}
