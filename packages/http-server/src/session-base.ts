// What every session kind shares: its id, upstream and server, the idle clock,
// and the close() lifecycle (one shutdown whatever re-enters it, the reason the
// first close() gave, the onEnded callbacks). Each kind says how it shuts down.
import type { Logger } from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { McpServerLike } from "./options.js";
import type { Session } from "./session-registry.js";

export abstract class SessionBase implements Session {
  readonly id: string;
  readonly upstream: Transport;
  readonly server: McpServerLike | undefined;
  /** When the session last did something or stopped being busy: its idle clock starts here. */
  lastActivity = Date.now();
  protected readonly logger: Logger;
  #closing: Promise<void> | undefined;
  #onEnded: Array<(reason: string) => void> = [];
  /** Why the session ended, for the log: the first close() names it. */
  #closeReason = "closed";

  constructor(id: string, upstream: Transport, server: McpServerLike | undefined, logger: Logger) {
    this.id = id;
    this.upstream = upstream;
    this.server = server;
    this.logger = logger;
  }

  abstract readonly busy: boolean;
  abstract readonly pendingCount: number;

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  onEnded(callback: (reason: string) => void): void {
    this.#onEnded.push(callback);
  }

  close(reason = "closed"): Promise<void> {
    if (!this.#closing) this.#closeReason = reason;
    // Assigned before any step runs: a step that re-enters close() gets this promise.
    this.#closing ??= Promise.resolve().then(() => this.shutdown());
    return this.#closing;
  }

  /** The session's own ending, run once by close(). */
  protected abstract shutdown(): Promise<void>;

  /** Tells the onEnded callbacks what ended the session; one that throws stops none. */
  protected notifyEnded(): void {
    for (const callback of this.#onEnded) {
      try {
        callback(this.#closeReason);
      } catch {
        // keep going
      }
    }
  }

  /** Closes the upstream; a failure is only logged (the session is over either way). */
  protected async closeUpstream(): Promise<void> {
    try {
      await this.upstream.close();
    } catch (error) {
      this.logger.debug("upstream close failed", { session: this.id, error });
    }
  }
}
