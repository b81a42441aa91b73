// The interactive gate of a shared upstream whose clients declared sampling,
// elicitation or roots: a 2025-era server's request to the client names no
// call, so one session's interactive calls (tools/call, prompts/get,
// resources/read) run at a time and a server request belongs to that session.
// Other sessions' interactive calls wait here, in arrival order.
import type { TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { SharedSessionTransport } from "./shared-upstream-session.js";

/** An interactive call waiting for its session to hold the gate. */
export interface HeldCall {
  session: SharedSessionTransport;
  message: JSONRPCMessage & { id: RequestId };
  options: TransportSendOptions | undefined;
}

export class InteractiveGate {
  #holder: SharedSessionTransport | undefined;
  readonly #held: HeldCall[] = [];

  /** The session whose interactive calls may run now. */
  get holder(): SharedSessionTransport | undefined {
    return this.#holder;
  }

  /** True when `call` may run now (its session holds the gate, or takes it when free); otherwise it waits. */
  enter(call: HeldCall): boolean {
    this.#holder ??= call.session;
    if (this.#holder === call.session) return true;
    this.#held.push(call);
    return false;
  }

  /** Drops a waiting call (cancelled before it ran); true when it was waiting. */
  drop(session: SharedSessionTransport, id: unknown): boolean {
    const i = this.#held.findIndex((h) => h.session === session && h.message.id === id);
    if (i === -1) return false;
    this.#held.splice(i, 1);
    return true;
  }

  /** Drops everything a leaving session had waiting. */
  leave(session: SharedSessionTransport): void {
    for (let i = this.#held.length - 1; i >= 0; i--) {
      if (this.#held[i]?.session === session) this.#held.splice(i, 1);
    }
  }

  /**
   * The holder has no interactive call left: the next session in line takes the gate. Returns
   * that session's waiting calls, in order, to run now.
   */
  release(): HeldCall[] {
    this.#holder = this.#held[0]?.session;
    if (!this.#holder) return [];
    const next = this.#held.filter((h) => h.session === this.#holder);
    for (const call of next) this.#held.splice(this.#held.indexOf(call), 1);
    return next;
  }

  /** Everything waiting, removed (the upstream is gone). */
  clear(): HeldCall[] {
    this.#holder = undefined;
    return this.#held.splice(0);
  }
}
