// Who holds a subscription to each resource URI, so that a shared upstream is
// asked `resources/subscribe` once for the first holder and
// `resources/unsubscribe` once after the last (LESSONS 11: reference-count
// subscriptions, never broadcast). Used by SharedUpstream's sessions and by the
// gateway's listen streams alike.

export class UriHolders<H> {
  readonly #byUri = new Map<string, Set<H>>();

  /** Adds `holder` to `uri`; true when it is the first (subscribe upstream). */
  add(uri: string, holder: H): boolean {
    let holders = this.#byUri.get(uri);
    const first = holders === undefined;
    if (!holders) {
      holders = new Set();
      this.#byUri.set(uri, holders);
    }
    holders.add(holder);
    return first;
  }

  /** Removes `holder` from `uri`; true when nobody holds it any more (unsubscribe upstream). */
  remove(uri: string, holder: H): boolean {
    const holders = this.#byUri.get(uri);
    if (!holders?.delete(holder)) return false;
    if (holders.size > 0) return false;
    this.#byUri.delete(uri);
    return true;
  }

  /** The holders of `uri`, if any. */
  holders(uri: string): ReadonlySet<H> | undefined {
    return this.#byUri.get(uri);
  }

  /** Every URI somebody holds: what a fresh upstream must subscribe to. */
  get uris(): string[] {
    return [...this.#byUri.keys()];
  }
}
