// Replicas of one proxy in a test: each a real startHTTPServer on 127.0.0.1
// in front of the echo fixture, joined through a registry held in this
// process (the Redis one is @mcp-proxy/cluster's, tested there and end to end
// in the CLI; http-server cannot depend on it).
import type {
  ClusterRegistry,
  HTTPServerHandle,
  ReplicaRecord,
  StartHTTPServerOptions,
} from "../src/index.js";
import { startEcho } from "./helpers.js";

export const SECRET = "test-cluster-secret-0123456789";

/** A registry in memory: what every replica of the test sees at once. */
export class MemoryRegistry implements ClusterRegistry {
  readonly records = new Map<string, ReplicaRecord>();
  /** When set, every read rejects (the store is down). */
  down = false;

  async publish(record: ReplicaRecord): Promise<void> {
    this.records.set(record.id, { ...record });
  }

  async lookup(id: string): Promise<ReplicaRecord | undefined> {
    if (this.down) throw new Error("registry down");
    return this.records.get(id);
  }

  async list(): Promise<ReplicaRecord[]> {
    if (this.down) throw new Error("registry down");
    return [...this.records.values()];
  }

  async leave(id: string): Promise<void> {
    this.records.delete(id);
  }
}

/** Starts a replica joined to `registry`; its handle's `cluster.id` names it. */
export async function startReplica(
  registry: ClusterRegistry,
  options: Partial<StartHTTPServerOptions> = {},
): Promise<HTTPServerHandle> {
  return startEcho({ cluster: { registry, secret: SECRET }, ...options });
}

/** A fetch that sends each request to the next of `bases` in turn (a round-robin balancer). */
export function roundRobinFetch(bases: string[]): {
  fetch: typeof fetch;
  via: string[];
} {
  let next = 0;
  const via: string[] = [];
  const rr: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const base = new URL(bases[next++ % bases.length] as string);
    url.protocol = base.protocol;
    url.host = base.host;
    const res = await fetch(url, init);
    via.push(res.headers.get("via") ?? "");
    return res;
  };
  return { fetch: rr, via };
}
