// Options that have two spellings (ours and the reference package's) or a
// form meaning "no bound", resolved once so that the rest of the server reads
// one value. A conflict between two spellings is refused, never guessed.
import {
  DEFAULT_MAX_EVENTS_PER_STREAM,
  type EventStore,
  InMemoryEventStore,
} from "./event-store.js";
import {
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_SESSION_TIMEOUT_MS,
  type StartHTTPServerOptions,
} from "./options.js";

type Options = Pick<
  StartHTTPServerOptions,
  "sessionTimeout" | "sessionIdleTimeout" | "maxBodySize" | "eventStore" | "eventStoreMaxEvents"
>;

/** `sessionTimeout`, or its reference name `sessionIdleTimeout`. */
export function resolveSessionTimeout(options: Options): number {
  const { sessionTimeout, sessionIdleTimeout } = options;
  if (
    sessionTimeout !== undefined &&
    sessionIdleTimeout !== undefined &&
    sessionTimeout !== sessionIdleTimeout
  ) {
    throw new TypeError(
      `startHTTPServer: sessionTimeout (${sessionTimeout}) and sessionIdleTimeout (${sessionIdleTimeout}) disagree; pass one`,
    );
  }
  const ms = sessionTimeout ?? sessionIdleTimeout ?? DEFAULT_SESSION_TIMEOUT_MS;
  if (!Number.isInteger(ms) || ms < 0)
    throw new TypeError(`startHTTPServer: sessionTimeout must be a whole number >= 0, got ${ms}`);
  return ms;
}

/** The body bound in bytes; `false` is no bound. */
export function resolveMaxBodySize(options: Options): number {
  const size = options.maxBodySize;
  if (size === false) return Number.POSITIVE_INFINITY;
  if (size === undefined) return DEFAULT_MAX_BODY_SIZE;
  if (!Number.isInteger(size) || size < 1)
    throw new TypeError(
      `startHTTPServer: maxBodySize must be a whole number >= 1 or false (no limit), got ${size}`,
    );
  return size;
}

/** The event store: none, the caller's, or a bounded in-memory one. */
export function resolveEventStore(options: Options): EventStore | undefined {
  const { eventStore, eventStoreMaxEvents } = options;
  if (eventStore === false) return undefined;
  if (eventStore !== undefined) {
    if (eventStoreMaxEvents !== undefined)
      throw new TypeError(
        "startHTTPServer: eventStoreMaxEvents bounds the default event store; an eventStore you pass bounds itself",
      );
    return eventStore;
  }
  return new InMemoryEventStore({
    maxEventsPerStream: eventStoreMaxEvents ?? DEFAULT_MAX_EVENTS_PER_STREAM,
  });
}
