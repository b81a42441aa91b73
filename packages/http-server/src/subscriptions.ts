// Reference-counted resource subscriptions for an upstream shared by several
// clients: the upstream sees one subscribe per URI and one unsubscribe when
// the last subscriber leaves.

export class SubscriptionCounter {
  readonly #counts = new Map<string, number>();

  /** True when this subscribe must go upstream (nobody holds the URI yet). */
  shouldForwardSubscribe(uri: string): boolean {
    const n = this.#counts.get(uri) ?? 0;
    if (n > 0) this.#counts.set(uri, n + 1);
    return n === 0;
  }

  /** The upstream accepted a forwarded subscribe. */
  subscribed(uri: string): void {
    this.#counts.set(uri, (this.#counts.get(uri) ?? 0) + 1);
  }

  /** True when this unsubscribe must go upstream (last subscriber, or unknown URI). */
  shouldForwardUnsubscribe(uri: string): boolean {
    const n = this.#counts.get(uri) ?? 0;
    if (n > 1) {
      this.#counts.set(uri, n - 1);
      return false;
    }
    this.#counts.delete(uri);
    return true;
  }

  count(uri: string): number {
    return this.#counts.get(uri) ?? 0;
  }
}
