// Lets several consumers share one SDK object's `fallbackNotificationHandler`.
// The SDK keeps a single slot, last writer wins: proxyServer and the upstream
// bridge both listen on the same upstream Client, and whichever was wired
// second would otherwise silence the first. The tap owns the slot, hands every
// notification to each listener, and keeps calling whatever handler was
// there before it.
import type { RpcMessage } from "./sdk-shapes.js";

/** An object with the SDK's fallback notification slot (v1 and v2 alike). */
export interface NotificationSource {
  fallbackNotificationHandler?(notification: RpcMessage): Promise<void>;
}

export type NotificationListener = (notification: RpcMessage) => void | Promise<void>;

interface Tap {
  readonly dispatch: (notification: RpcMessage) => Promise<void>;
  readonly listeners: Set<NotificationListener>;
}

const taps = new WeakMap<NotificationSource, Tap>();

/**
 * Adds `listener` to every notification `source` has no specific handler for.
 * Returns the function that removes it. A listener that throws does not keep
 * the others from their notification; the first error is rethrown afterwards
 * so the SDK reports it through `onerror`, as it did for a single handler.
 */
export function tapNotifications(
  source: NotificationSource,
  listener: NotificationListener,
): () => void {
  let tap = taps.get(source);
  // Someone may have assigned the slot directly since: chain theirs too.
  if (!tap || source.fallbackNotificationHandler !== tap.dispatch) {
    tap = install(source, tap?.listeners ?? new Set());
  }
  tap.listeners.add(listener);
  return () => {
    taps.get(source)?.listeners.delete(listener);
  };
}

function install(source: NotificationSource, listeners: Set<NotificationListener>): Tap {
  const previous = source.fallbackNotificationHandler?.bind(source);
  const dispatch = async (notification: RpcMessage): Promise<void> => {
    // A handler that replaced this one may still chain to it; the listeners
    // moved to the newer tap then, and must not hear the notification twice.
    const current = taps.get(source) === tap;
    const outcomes = current
      ? await Promise.allSettled([...listeners].map(async (listener) => listener(notification)))
      : [];
    if (previous) await previous(notification);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) throw failed.reason;
  };
  const tap: Tap = { dispatch, listeners };
  source.fallbackNotificationHandler = dispatch;
  taps.set(source, tap);
  return tap;
}
