// Owns the live sessions: lookup by id, the cap (503 beyond it), and idle
// expiry. A session is an application object with its own timeout; TCP
// keep-alive never ends one. Both stateful kinds (Streamable HTTP, HTTP+SSE)
// are a Session to it; a handler that needs one kind checks which it got.
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";

/** What the registry, its sweeper and the server's close() need of a stateful session. */
export interface Session {
  readonly id: string;
  /** When the session last did something or stopped being busy: its idle clock starts here. */
  lastActivity: number;
  /** True while a request is in flight or a stream is open: an idle sweep leaves it alone. */
  readonly busy: boolean;
  /** True once close() began. */
  readonly closed: boolean;
  /** Requests in flight that the server's close() lets finish within its grace period. */
  readonly pendingCount: number;
  /** Runs `callback` when the session ends, with what ended it. */
  onEnded(callback: (reason: string) => void): void;
  /** Ends the session; `reason` is what the log says ended it. */
  close(reason?: string): Promise<void>;
}

export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();
  readonly #max: number;
  readonly #timeoutMs: number;
  #reserved = 0;
  #closed = false;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(max: number, timeoutMs: number) {
    this.#max = max;
    this.#timeoutMs = timeoutMs;
    if (timeoutMs > 0) {
      this.#sweeper = setInterval(
        () => this.#sweep(),
        Math.min(Math.max(timeoutMs / 4, 50), 60_000),
      );
      this.#sweeper.unref();
    }
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  values(): Session[] {
    return [...this.#sessions.values()];
  }

  /** Sessions being created (a slot reserved, not yet added or given up). */
  get reserved(): number {
    return this.#reserved;
  }

  /** Reserves a slot before the upstream is created; throws 503 beyond the cap. */
  reserve(): () => void {
    if (this.#sessions.size + this.#reserved >= this.#max) {
      throw new McpProxyError(
        ErrorCodes.TOO_MANY_SESSIONS,
        `Service Unavailable: the server is at its limit of ${this.#max} sessions`,
      );
    }
    this.#reserved++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.#reserved--;
      }
    };
  }

  /** Registers a session; throws (503) after closeAll(), when the caller must close it itself. */
  add(session: Session): void {
    if (this.#closed) {
      throw new McpProxyError(ErrorCodes.SHUTTING_DOWN, "Service Unavailable: shutting down");
    }
    this.#sessions.set(session.id, session);
  }

  remove(id: string): void {
    this.#sessions.delete(id);
  }

  async closeAll(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    await Promise.allSettled(this.values().map((s) => s.close("server closing")));
    this.#sessions.clear();
  }

  #sweep(): void {
    const now = Date.now();
    for (const session of this.#sessions.values()) {
      if (!session.busy && now - session.lastActivity > this.#timeoutMs) {
        this.#sessions.delete(session.id);
        void session.close("idle timeout");
      }
    }
  }
}
