// The requests a shared upstream has in flight: one record per forwarded
// request (whose session, its own id and progress token, what kind), kept in
// one place and forgotten in one place, so that an answer, a cancellation, a
// failed send, a session leaving and the upstream dying all release the same
// things.
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { SharedSessionTransport } from "./shared-upstream-session.js";

/** What the hub must do when the answer comes: nothing special, release the gate, fill the cache, or undo a subscription. */
export type ForwardedKind = "plain" | "interactive" | "initialize" | "subscribe";

export interface Forwarded {
  session: SharedSessionTransport;
  /** The session's own id for the request. */
  originalId: RequestId;
  /** The session's own progress token, when it asked for progress (upstream, the token is the upstream id). */
  token: unknown;
  kind: ForwardedKind;
  /** For "subscribe": the uri, released again when the upstream refuses. */
  uri?: string;
}

/** Upstream id prefix: keeps our ids apart from ids the upstream might reuse elsewhere. */
const PREFIX = "u";

export class ForwardedRequests {
  #next = 1;
  readonly #byId = new Map<string, Forwarded>();

  /** Records a request about to be sent; returns its upstream id. */
  add(record: Forwarded): string {
    const id = `${PREFIX}${this.#next++}`;
    this.#byId.set(id, record);
    record.session.inFlight.add(id);
    return id;
  }

  get(upstreamId: unknown): Forwarded | undefined {
    return typeof upstreamId === "string" ? this.#byId.get(upstreamId) : undefined;
  }

  /** Forgets one request (answered, cancelled, unsendable, abandoned): the one place that does. */
  forget(upstreamId: unknown): Forwarded | undefined {
    const record = this.get(upstreamId);
    if (!record) return undefined;
    this.#byId.delete(upstreamId as string);
    record.session.inFlight.delete(upstreamId as string);
    return record;
  }

  /** The upstream id of `session`'s request `originalId`, if it is in flight. */
  idOf(session: SharedSessionTransport, originalId: unknown): string | undefined {
    for (const id of session.inFlight) {
      if (this.#byId.get(id)?.originalId === originalId) return id;
    }
    return undefined;
  }

  /** Whether `session` has an interactive call in flight. */
  hasInteractive(session: SharedSessionTransport): boolean {
    for (const id of session.inFlight) if (this.#byId.get(id)?.kind === "interactive") return true;
    return false;
  }
}
