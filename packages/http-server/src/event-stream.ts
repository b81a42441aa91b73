// One logical SSE stream of a session (a POST's response stream or the
// standalone GET stream). It outlives the HTTP response: events are stored
// first, then written to whichever response is attached, so a client that
// reconnects with Last-Event-ID gets each missed event exactly once.
import type { Logger } from "@mcp-proxy/core";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import {
  type EventId,
  EventNotAvailableError,
  type EventStore,
  type StreamId,
} from "./event-store.js";
import type { SseWriter } from "./sse-writer.js";

/** Messages kept in memory for a stream with no response attached (oldest dropped beyond). */
export const MAX_UNATTACHED_BUFFER = 1000;

export class EventStream {
  readonly id: string;
  readonly #store: EventStore | undefined;
  readonly #logger: Logger;
  #writer: SseWriter | undefined;
  /** Serialises store-then-write so a replay never overlaps a live write. */
  #chain: Promise<void> = Promise.resolve();
  #buffer: Array<{ message: JSONRPCMessage; eventId: string | undefined; text?: string }> = [];
  #done = false;

  constructor(id: string, store: EventStore | undefined, logger: Logger) {
    this.id = id;
    this.#store = store;
    this.#logger = logger;
  }

  get attached(): boolean {
    return this.#writer !== undefined && !this.#writer.closed;
  }

  /** Attaches a fresh response (no replay). */
  attach(writer: SseWriter): void {
    this.#enqueue(async () => {
      this.#setWriter(writer);
      const buffered = this.#buffer;
      this.#buffer = [];
      for (const { message, eventId, text } of buffered)
        writer.writeMessage(message, eventId, text);
    });
  }

  /**
   * Replays the events after `lastEventId` into the response `open` starts, then attaches it for
   * live events. Rejects with EventNotAvailableError, without calling `open` (so no headers are
   * out and the caller can answer 409), when the store cannot replay every missed event or names
   * a stream `owns` refuses (the spec forbids replaying another stream's messages).
   */
  resume(
    lastEventId: EventId,
    open: () => SseWriter,
    owns: (streamId: StreamId) => boolean,
  ): Promise<void> {
    const store = this.#store;
    let refusal: EventNotAvailableError | undefined;
    const step = this.#enqueue(async () => {
      // Held until the store has answered: a refusal cannot follow a partial replay, and a
      // store that fails half-way (the SDK shape has no way to say "evicted") refuses too.
      const missed: Array<[EventId, JSONRPCMessage]> = [];
      let streamId: StreamId;
      try {
        if (!store) throw new EventNotAvailableError(lastEventId, "unknown");
        streamId = await store.replayEventsAfter(lastEventId, {
          send: async (eventId, message) => void missed.push([eventId, message]),
        });
      } catch (error) {
        if (!(error instanceof EventNotAvailableError)) {
          this.#logger.warn("event store replay failed", { stream: this.id, error });
        }
        refusal =
          error instanceof EventNotAvailableError
            ? error
            : new EventNotAvailableError(lastEventId, "unknown", { cause: error });
        return;
      }
      // "" is how the SDK's example store says unknown.
      if (streamId === "" || !owns(streamId)) {
        refusal = new EventNotAvailableError(lastEventId, "unknown");
        return;
      }
      // The replay covers whatever was buffered.
      this.#buffer = [];
      const writer = open();
      for (const [eventId, message] of missed) writer.writeMessage(message, eventId);
      if (this.#done) writer.end();
      else this.#setWriter(writer);
    });
    return step.then(() => {
      if (refusal) throw refusal;
    });
  }

  /**
   * Stores and writes one message; `final` ends the stream after it. `text`, when given,
   * is the JSON text of `message` (see SseWriter.writeMessage).
   */
  send(message: JSONRPCMessage, final = false, text?: string): Promise<void> {
    if (final) this.#done = true;
    return this.#enqueue(async () => {
      const eventId = this.#store ? await this.#store.storeEvent(this.id, message) : undefined;
      const writer = this.#writer;
      if (writer && !writer.closed) writer.writeMessage(message, eventId, text);
      else {
        // A first GET (no Last-Event-ID) still gets what was said before it connected.
        this.#buffer.push({ message, eventId, text });
        if (this.#buffer.length > MAX_UNATTACHED_BUFFER) this.#buffer.shift();
      }
      if (final) writer?.end();
    });
  }

  /** Ends the attached response; the stream's events stay replayable until `discard`. */
  end(): Promise<void> {
    this.#done = true;
    return this.#enqueue(async () => {
      this.#writer?.end();
      this.#writer = undefined;
    });
  }

  /** Frees the stored events (the session is gone). */
  async discard(): Promise<void> {
    await this.end();
    try {
      await this.#store?.removeStream?.(this.id);
    } catch (error) {
      this.#logger.debug("event store removeStream failed", { error });
    }
  }

  #setWriter(writer: SseWriter): void {
    const previous = this.#writer;
    this.#writer = writer;
    // Only one response per stream: a reconnect supersedes the old one.
    if (previous && previous !== writer) previous.end();
    writer.onClose(() => {
      if (this.#writer === writer) this.#writer = undefined;
    });
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(step).catch((error: unknown) => {
      this.#logger.warn("SSE stream step failed", { stream: this.id, error });
    });
    this.#chain = next;
    return next;
  }
}
