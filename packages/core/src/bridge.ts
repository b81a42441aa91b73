// Joins two MCP transports: what one receives, the other sends, unchanged and
// in order. Close or error on either side closes the other exactly once. Messages
// that arrive before the far side has started are queued, not dropped.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, McpProxyError } from "./errors.js";

export type BridgeSide = "a" | "b";

/** Why a bridge ended. `side` is the side that closed first, or "local" for `close()`. */
export interface BridgeCloseInfo {
  side: BridgeSide | "local";
  /** The error that ended the bridge, if it ended on an error. */
  error?: Error;
}

export interface BridgeOptions {
  /** Called once when the bridge ends, however it ends. */
  onClose?: (info: BridgeCloseInfo) => void;
  /** Called for every error either side reports, and for every failed send. */
  onError?: (error: Error, side: BridgeSide) => void;
  /**
   * Close the bridge when a side reports an error. Default false: transports
   * report recoverable errors (one bad message) through onerror too; they call
   * onclose when they are really gone.
   */
  closeOnError?: boolean;
  /** Start the transports (default true). Set false for transports already started. */
  start?: boolean | { a?: boolean; b?: boolean };
}

export interface BridgeHandle {
  /** Resolves once, when the bridge has ended (never rejects). */
  readonly closed: Promise<BridgeCloseInfo>;
  /** Closes both sides; idempotent; resolves when both are closed. */
  close(): Promise<void>;
}

/**
 * Bridges `a` and `b`. Resolves once both sides have started; if either fails
 * to start, both are closed and the promise rejects with the start error.
 */
export async function bridge(
  a: Transport,
  b: Transport,
  options: BridgeOptions = {},
): Promise<BridgeHandle> {
  let ended = false;
  let resolveClosed!: (info: BridgeCloseInfo) => void;
  const closed = new Promise<BridgeCloseInfo>((resolve) => {
    resolveClosed = resolve;
  });
  let closing: Promise<void> | undefined;

  const reportError = (error: Error, side: BridgeSide) => {
    try {
      options.onError?.(error, side);
    } catch {
      // A throwing callback must not break message flow.
    }
  };

  const end = (info: BridgeCloseInfo): Promise<void> => {
    if (closing) return closing;
    ended = true;
    // Set before calling close(): a transport's close() calls its onclose
    // synchronously, which re-enters here and must see the bridge as ending.
    let release!: () => void;
    closing = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Close both; the side that closed itself gets a second close(), which
    // every SDK transport tolerates, and ours are idempotent.
    void Promise.allSettled([a.close(), b.close()]).then(() => {
      try {
        options.onClose?.(info);
      } catch {
        // ignore
      }
      resolveClosed(info);
      release();
    });
    return closing;
  };

  const link = (from: Transport, to: Transport, fromSide: BridgeSide) => {
    const toSide: BridgeSide = fromSide === "a" ? "b" : "a";
    let ready = false;
    let queue: JSONRPCMessage[] | undefined = [];
    const forward = (message: JSONRPCMessage) => {
      to.send(message).catch((cause: unknown) => {
        if (ended) return;
        const error = new McpProxyError(
          ErrorCodes.SEND_FAILED,
          `Failed to forward a message to side ${toSide}: ${cause instanceof Error ? cause.message : String(cause)}`,
          { cause },
        );
        reportError(error, toSide);
      });
    };
    from.onmessage = (message: JSONRPCMessage) => {
      if (ended) return;
      if (ready) forward(message);
      else queue?.push(message);
    };
    from.onclose = () => {
      void end({ side: fromSide });
    };
    from.onerror = (error: Error) => {
      reportError(error, fromSide);
      if (options.closeOnError) void end({ side: fromSide, error });
    };
    // Called once `to` has started: flush what arrived meanwhile, in order.
    return () => {
      ready = true;
      const pending = queue ?? [];
      queue = undefined;
      for (const message of pending) forward(message);
    };
  };

  const flushToB = link(a, b, "a");
  const flushToA = link(b, a, "b");

  const startOpt = options.start ?? true;
  const startA = typeof startOpt === "boolean" ? startOpt : (startOpt.a ?? true);
  const startB = typeof startOpt === "boolean" ? startOpt : (startOpt.b ?? true);

  const startSide = async (t: Transport, should: boolean, side: BridgeSide, flush: () => void) => {
    try {
      if (should) await t.start();
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      reportError(error, side);
      await end({ side, error });
      throw error;
    }
    flush();
  };

  // Start b first so that a (usually the client-facing side) never has a
  // message to deliver before b can take it; both queues cover the rest.
  await startSide(b, startB, "b", flushToB);
  if (ended) throw new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Bridge closed while starting");
  await startSide(a, startA, "a", flushToA);

  return {
    closed,
    close: () => end({ side: "local" }),
  };
}
