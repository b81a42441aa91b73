// Wraps any SDK Transport so every lifecycle event and message is reported to
// an observer while traffic passes through untouched: the message objects are
// handed over as they are (no copy, no serialisation), so tapping costs nothing
// on the hot path beyond one function call per event.
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js";

/** What a tapped transport reports. `time` is wall-clock epoch milliseconds (sub-ms precision). */
export type TapEvent =
  /** `start()` was called on the tapped transport (reported before the wrapped start runs). */
  | { type: "start"; time: number }
  /** A message we send towards the wrapped transport's peer. */
  | { type: "send"; time: number; message: JSONRPCMessage }
  /** A message received from the peer. */
  | { type: "message"; time: number; message: JSONRPCMessage }
  /** The wrapped transport reported that it closed. */
  | { type: "close"; time: number }
  /** The wrapped transport reported an error, or start/send/close failed. */
  | { type: "error"; time: number; error: Error };

type OnMessage = NonNullable<Transport["onmessage"]>;

// performance.now() is monotonic and finer than Date.now(), which matters for
// sub-millisecond request/response latencies; adding timeOrigin keeps it wall-clock.
const now = (): number => performance.timeOrigin + performance.now();

const toError = (value: unknown): Error =>
  value instanceof Error ? value : new Error(String(value));

/**
 * Returns a Transport that behaves like `transport` and reports every event to `onEvent`.
 *
 * Callbacks set on the returned transport are called as usual; callbacks that were
 * already set on `transport` before wrapping keep firing too (first). A throwing
 * `onEvent` is ignored: observing must never break traffic.
 */
export function tapTransport<T extends Transport>(
  transport: T,
  onEvent: (event: TapEvent) => void,
): Transport {
  return new TappedTransport(transport, onEvent);
}

class TappedTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: OnMessage;

  readonly #inner: Transport;
  readonly #onEvent: (event: TapEvent) => void;

  constructor(inner: Transport, onEvent: (event: TapEvent) => void) {
    this.#inner = inner;
    this.#onEvent = onEvent;
    const previousMessage = inner.onmessage;
    const previousClose = inner.onclose;
    const previousError = inner.onerror;

    const onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo): void => {
      this.#emit({ type: "message", time: now(), message });
      // try/finally: a throwing earlier callback must not starve the tap's user.
      try {
        previousMessage?.(message, extra);
      } finally {
        this.onmessage?.(message, extra);
      }
    };
    inner.onmessage = onmessage as OnMessage;
    inner.onclose = () => {
      this.#emit({ type: "close", time: now() });
      try {
        previousClose?.();
      } finally {
        this.onclose?.();
      }
    };
    inner.onerror = (error: Error) => {
      this.#emit({ type: "error", time: now(), error });
      try {
        previousError?.(error);
      } finally {
        this.onerror?.(error);
      }
    };
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  set sessionId(value: string | undefined) {
    this.#inner.sessionId = value;
  }

  /** Present exactly when the wrapped transport has it, since the SDK checks for it. */
  get setProtocolVersion(): ((version: string) => void) | undefined {
    const inner = this.#inner;
    const fn = inner.setProtocolVersion;
    return fn ? (version: string) => fn.call(inner, version) : undefined;
  }

  async start(): Promise<void> {
    // Reported before delegating: some transports deliver queued messages inside start().
    this.#emit({ type: "start", time: now() });
    try {
      await this.#inner.start();
    } catch (error) {
      this.#emit({ type: "error", time: now(), error: toError(error) });
      throw error;
    }
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.#emit({ type: "send", time: now(), message });
    try {
      await this.#inner.send(message, options);
    } catch (error) {
      this.#emit({ type: "error", time: now(), error: toError(error) });
      throw error;
    }
  }

  async close(): Promise<void> {
    try {
      await this.#inner.close();
    } catch (error) {
      this.#emit({ type: "error", time: now(), error: toError(error) });
      throw error;
    }
  }

  #emit(event: TapEvent): void {
    try {
      this.#onEvent(event);
    } catch {
      // An observer bug must not break the traffic it observes; there is no
      // safe place to report it (stdout may carry the protocol).
    }
  }
}
