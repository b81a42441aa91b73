// Resumability storage: every SSE event gets an id; a client reconnecting with
// Last-Event-ID receives what it missed. The in-memory store is bounded per
// stream and in total, evicting the oldest events first.
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

export type StreamId = string;
export type EventId = string;

/** Compatible with the SDK's EventStore; `removeStream` lets sessions free their events early. */
export interface EventStore {
  storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId>;
  getStreamIdForEventId?(eventId: EventId): Promise<StreamId | undefined>;
  replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId>;
  removeStream?(streamId: StreamId): Promise<void> | void;
}

export const DEFAULT_MAX_EVENTS_PER_STREAM = 1000;
export const DEFAULT_MAX_EVENTS_TOTAL = 100_000;

export interface InMemoryEventStoreOptions {
  /** Oldest events of a stream are evicted beyond this. Default 1000. */
  maxEventsPerStream?: number;
  /** Oldest events overall are evicted beyond this. Default 100000. */
  maxEvents?: number;
}

interface Stored {
  streamId: StreamId;
  seq: number;
  message: JSONRPCMessage;
}

// Event ids are "<streamId>~<seq>" so the stream is known even once evicted.
const SEPARATOR = "~";

export class InMemoryEventStore implements EventStore {
  readonly #maxPerStream: number;
  readonly #maxTotal: number;
  /** Insertion order doubles as global age order. */
  readonly #events = new Map<EventId, Stored>();
  readonly #streams = new Map<StreamId, { next: number; ids: EventId[] }>();

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.#maxPerStream = positive(
      "maxEventsPerStream",
      options.maxEventsPerStream ?? DEFAULT_MAX_EVENTS_PER_STREAM,
    );
    this.#maxTotal = positive("maxEvents", options.maxEvents ?? DEFAULT_MAX_EVENTS_TOTAL);
  }

  /** Number of events held. */
  get size(): number {
    return this.#events.size;
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    let stream = this.#streams.get(streamId);
    if (!stream) {
      stream = { next: 1, ids: [] };
      this.#streams.set(streamId, stream);
    }
    const seq = stream.next++;
    const eventId = `${streamId}${SEPARATOR}${seq}`;
    this.#events.set(eventId, { streamId, seq, message });
    stream.ids.push(eventId);
    if (stream.ids.length > this.#maxPerStream) this.#events.delete(stream.ids.shift() as EventId);
    while (this.#events.size > this.#maxTotal) this.#evictOldest();
    return eventId;
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    const parsed = parseEventId(eventId);
    return parsed && this.#streams.has(parsed.streamId) ? parsed.streamId : undefined;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const parsed = parseEventId(lastEventId);
    if (!parsed) return "";
    const stream = this.#streams.get(parsed.streamId);
    if (!stream) return "";
    // Copy: sends may await while new events arrive.
    for (const id of [...stream.ids]) {
      const event = this.#events.get(id);
      if (event && event.seq > parsed.seq) await send(id, event.message);
    }
    return parsed.streamId;
  }

  removeStream(streamId: StreamId): void {
    const stream = this.#streams.get(streamId);
    if (!stream) return;
    for (const id of stream.ids) this.#events.delete(id);
    this.#streams.delete(streamId);
  }

  #evictOldest(): void {
    const first = this.#events.keys().next();
    if (first.done) return;
    const event = this.#events.get(first.value) as Stored;
    this.#events.delete(first.value);
    const stream = this.#streams.get(event.streamId);
    // The globally oldest event is also the oldest of its stream.
    if (stream && stream.ids[0] === first.value) stream.ids.shift();
  }
}

function parseEventId(eventId: EventId): { streamId: StreamId; seq: number } | undefined {
  const at = eventId.lastIndexOf(SEPARATOR);
  if (at <= 0) return undefined;
  const seq = Number(eventId.slice(at + 1));
  return Number.isInteger(seq) ? { streamId: eventId.slice(0, at), seq } : undefined;
}

/** A bound must be a whole number of at least 1: 0, a negative or NaN would keep nothing, or everything. */
function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(
      `InMemoryEventStore: ${name} must be a whole number of at least 1, got ${value}`,
    );
  }
  return value;
}
