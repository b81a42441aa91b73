// Resumability storage: every SSE event gets an id; a client reconnecting with
// Last-Event-ID receives what it missed. The in-memory store is bounded per
// stream and in total, evicting the oldest events first. A resume it cannot
// serve whole is refused, never replayed in part.
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

export type StreamId = string;
export type EventId = string;

/**
 * A stream cannot be resumed after `eventId`: events after it were evicted, or it was never
 * issued (on this session). Answered with 409 and a JSON-RPC error, so the client learns it
 * missed messages instead of getting a stream with a silent gap.
 *
 * Why 409: the spec makes replay a MAY and names no status for a refused one
 * (2025-11-25 basic/transports, "Resumability and Redelivery"). 404 would tell the client its
 * session is gone (it MUST then re-initialize), and 400 is what the spec uses for malformed
 * requests (a bad session header or protocol version), while this request was well formed: it
 * conflicts with what the server still holds, which the client resolves by reconnecting without
 * Last-Event-ID. 410 Gone fits the words but is cacheable by default. The SDK's own server
 * answers 409 for its other resume conflict (a stream already connected).
 */
export class EventNotAvailableError extends McpProxyError {
  override readonly name = "EventNotAvailableError";
  readonly eventId: EventId;
  /** "evicted": events after it were dropped by the store's bounds; "unknown": never issued here. */
  readonly reason: "evicted" | "unknown";
  constructor(eventId: EventId, reason: "evicted" | "unknown", options?: { cause?: unknown }) {
    super(
      ErrorCodes.EVENT_NOT_AVAILABLE,
      `Conflict: event ${eventId.slice(0, 200)} ${reason === "evicted" ? "is no longer available" : "is unknown"}; reconnect without Last-Event-ID`,
      options,
    );
    this.eventId = eventId;
    this.reason = reason;
  }
}

/** Compatible with the SDK's EventStore; `removeStream` lets sessions free their events early. */
export interface EventStore {
  storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId>;
  getStreamIdForEventId?(eventId: EventId): Promise<StreamId | undefined>;
  /**
   * Sends every event of `lastEventId`'s stream after it, in order, and resolves to that stream.
   * When it cannot send all of them it should reject, preferably with EventNotAvailableError;
   * resolving to `""` (the SDK's example store's answer for an unknown id) counts as unknown.
   * Either way the client gets 409, and nothing sent before is written.
   */
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

  /** Rejects with EventNotAvailableError when an event after `lastEventId` was evicted, or it is unknown. */
  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const parsed = parseEventId(lastEventId);
    const stream = parsed && this.#streams.get(parsed.streamId);
    if (!parsed || !stream || parsed.seq < 1 || parsed.seq >= stream.next) {
      throw new EventNotAvailableError(lastEventId, "unknown");
    }
    // Eviction takes the oldest first, so what is kept is one run of seqs ending at next - 1.
    const oldestKept = stream.next - stream.ids.length;
    if (parsed.seq + 1 < oldestKept) throw new EventNotAvailableError(lastEventId, "evicted");
    // Taken before the first send: sends may await while new events arrive and old ones are
    // evicted, which must not open a gap in what was just checked to be whole.
    const missed: Array<[EventId, JSONRPCMessage]> = [];
    for (const id of stream.ids) {
      const event = this.#events.get(id);
      if (event && event.seq > parsed.seq) missed.push([id, event.message]);
    }
    for (const [id, message] of missed) await send(id, message);
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
