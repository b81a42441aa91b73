// One client session's view of a shared upstream: a virtual SDK Transport.
// It holds only the per-session bookkeeping (requests in flight, subscriptions,
// log level, server requests handed to it); the routing lives in the hub.
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, McpProxyError } from "./errors.js";
import type { LoggingLevel } from "./shared-upstream-levels.js";

/** What a session needs from the hub it belongs to. */
export interface SessionHub {
  start(): Promise<void>;
  fromSession(
    session: SharedSessionTransport,
    message: JSONRPCMessage,
    options?: TransportSendOptions,
  ): Promise<void>;
  detach(session: SharedSessionTransport): void;
}

/** The per-session virtual Transport that `SharedUpstream.connect()` returns. */
export class SharedSessionTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  /** Upstream ids of this session's requests that await an answer. */
  readonly inFlight = new Set<string>();
  /** Resource uris this session subscribed to. */
  readonly subscriptions = new Set<string>();
  /** Server-to-client requests handed to this session: local id -> upstream id. */
  readonly serverRequests = new Map<string, RequestId>();
  /** The level this session asked for with logging/setLevel, if any. */
  level: LoggingLevel | undefined;

  #hub: SessionHub;
  #closed = false;

  constructor(hub: SessionHub) {
    this.#hub = hub;
  }

  /** The hub this session's messages go to: a router until its initialize picked one. */
  get hub(): SessionHub {
    return this.#hub;
  }

  /** Moves the session to `hub` (the one for the capability profile its initialize declared). */
  bind(hub: SessionHub): void {
    this.#hub = hub;
  }

  get closed(): boolean {
    return this.#closed;
  }

  start(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#hub.start();
  }

  /** `options` reach the upstream's send with what is forwarded (e.g. an in-process server's authInfo). */
  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#hub.fromSession(this, message, options);
  }

  /** Ends this session only: its ids and subscriptions are released, the upstream lives on. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.detach(this);
    this.onclose?.();
  }

  /** Hands a message from the upstream to the session's owner. */
  deliver(message: unknown): void {
    if (!this.#closed) this.onmessage?.(message as JSONRPCMessage);
  }

  /** Ends the session because the upstream is gone (the hub already failed its requests). */
  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }
}

const closedError = () =>
  new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "This shared-upstream session is closed");
