// An in-process transport pair for createServer. Unlike the SDK's
// InMemoryTransport it carries authInfo/requestInfo to the server and the
// server's relatedRequestId back, so messages can be routed to their request.
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  JSONRPCMessage,
  MessageExtraInfo,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";

/** Options our session code passes to an upstream's send (other transports ignore them). */
export interface UpstreamSendOptions extends TransportSendOptions {
  authInfo?: AuthInfo;
  requestInfo?: MessageExtraInfo["requestInfo"];
}

/** The extra our upstream side reports: which client request a server message belongs to. */
export interface UpstreamMessageExtra {
  relatedRequestId?: RequestId;
}

type Deliver = (message: JSONRPCMessage, extra: MessageExtraInfo & UpstreamMessageExtra) => void;

class InProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  /** Seen by the SDK Server as `extra.sessionId`. */
  sessionId?: string;
  peer: InProcessTransport | undefined;
  #started = false;
  #queue: Array<[JSONRPCMessage, MessageExtraInfo & UpstreamMessageExtra]> = [];
  #closed = false;

  async start(): Promise<void> {
    this.#started = true;
    const queued = this.#queue;
    this.#queue = [];
    for (const [message, extra] of queued) this.#deliver(message, extra);
  }

  receive: Deliver = (message, extra) => {
    if (!this.#started) this.#queue.push([message, extra]);
    else this.#deliver(message, extra);
  };

  async send(message: JSONRPCMessage, options?: UpstreamSendOptions): Promise<void> {
    const peer = this.peer;
    if (!peer || this.#closed) throw new Error("Not connected");
    const extra: MessageExtraInfo & UpstreamMessageExtra = {};
    if (options?.authInfo) extra.authInfo = options.authInfo;
    if (options?.requestInfo) extra.requestInfo = options.requestInfo;
    if (options?.relatedRequestId !== undefined) extra.relatedRequestId = options.relatedRequestId;
    // Async delivery, like a real transport: a handler never runs inside send().
    queueMicrotask(() => peer.receive(message, extra));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const peer = this.peer;
    this.peer = undefined;
    this.onclose?.();
    await peer?.close();
  }

  #deliver(message: JSONRPCMessage, extra: MessageExtraInfo & UpstreamMessageExtra): void {
    this.onmessage?.(message, extra);
  }
}

/** Returns [upstreamSide, serverSide]; the server side reports `sessionId` to the SDK Server. */
export function createInProcessPair(sessionId?: string): [Transport, Transport] {
  const a = new InProcessTransport();
  const b = new InProcessTransport();
  if (sessionId !== undefined) b.sessionId = sessionId;
  a.peer = b;
  b.peer = a;
  return [a, b];
}
