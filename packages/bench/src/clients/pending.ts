// Requests waiting for their response on a shared channel (a stdio pipe or an SSE stream).

type Waiter = { resolve: (message: unknown) => void; reject: (error: Error) => void };

export class PendingRequests {
  #nextId = 1;
  readonly #waiting = new Map<number, Waiter>();

  /** A fresh id and a promise of the message that answers it. */
  next(): { id: number; response: Promise<unknown> } {
    const id = this.#nextId++;
    const response = new Promise<unknown>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
    });
    // A request whose send failed is never awaited: failAll must not crash the run with an
    // unhandled rejection (awaiting callers still see the error).
    response.catch(() => {});
    return { id, response };
  }

  /** Routes a received message to its waiter; ignores notifications and unknown ids. */
  settle(message: { id?: unknown }): void {
    if (typeof message.id !== "number") return;
    const waiter = this.#waiting.get(message.id);
    if (!waiter) return;
    this.#waiting.delete(message.id);
    waiter.resolve(message);
  }

  failAll(error: Error): void {
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }
}
