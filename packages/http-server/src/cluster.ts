// This replica's part in a cluster: the ids it issues name it, requests for
// what another replica owns are sent there (one hop), and its record in the
// registry says where it is and whether it still takes new sessions.
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { networkInterfaces } from "node:os";
import { ErrorCodes, type Logger, McpProxyError } from "@mcp-proxy/core";
import {
  createForwardAgents,
  type ForwardAgents,
  forwardRequest,
  OwnerUnreachableError,
} from "./cluster-forward.js";
import {
  type ClusterOptions,
  type ClusterRegistry,
  DEFAULT_CLUSTER_CONNECT_TIMEOUT_MS,
  MIN_CLUSTER_SECRET_LENGTH,
  REPLICA_ID_PATTERN,
  type ReplicaRecord,
} from "./cluster-options.js";
import { signForward, verifyForward } from "./cluster-signature.js";
import { noteForward } from "./metrics.js";

/** Checks the options before anything starts, so a mistake fails startHTTPServer at once. */
export function checkClusterOptions(options: ClusterOptions): void {
  if (typeof options.registry?.publish !== "function") {
    throw new TypeError("startHTTPServer: cluster.registry must be a ClusterRegistry");
  }
  if (typeof options.secret !== "string" || options.secret.length < MIN_CLUSTER_SECRET_LENGTH) {
    throw new TypeError(
      `startHTTPServer: cluster.secret must be at least ${MIN_CLUSTER_SECRET_LENGTH} characters`,
    );
  }
  if (options.replicaId !== undefined && !REPLICA_ID_PATTERN.test(options.replicaId)) {
    throw new TypeError(
      "startHTTPServer: cluster.replicaId must be 1 to 32 characters of A-Z, a-z, 0-9, _ and -",
    );
  }
  if (options.advertise !== undefined) {
    let url: URL;
    try {
      url = new URL(options.advertise);
    } catch {
      throw new TypeError(`startHTTPServer: cluster.advertise is not a URL: ${options.advertise}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError("startHTTPServer: cluster.advertise must be an http or https URL");
    }
  }
}

/**
 * The URL other replicas reach this one at when none is given: the bound address, or for a
 * wildcard bind this machine's first non-internal IPv4 address (a pod's IP in Kubernetes), or
 * IPv6 one on a machine without IPv4.
 */
export function defaultAdvertiseUrl(host: string, port: number, tls: boolean): string {
  let address = host;
  if (host === "0.0.0.0" || host === "::" || host === "") {
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && !a.internal);
    // IPv4 first; an IPv6-only machine's global address (not a link-local one) else.
    address =
      external.find((a) => a?.family === "IPv4")?.address ??
      external.find((a) => a?.family === "IPv6" && !a.address.startsWith("fe80"))?.address ??
      "127.0.0.1";
  }
  const urlHost = address.includes(":") ? `[${address}]` : address;
  return `${tls ? "https" : "http"}://${urlHost}:${port}`;
}

/** A fresh replica id: 60 random bits, URL-safe, no dot. */
const newReplicaId = () => randomBytes(8).toString("base64url").slice(0, 10);

/**
 * What `ClusterNode.route` did with a request: served here, sent to its owner, or its owner is
 * gone (with the body as far as a failed hop read it, to answer with the request's id).
 */
export type ClusterRoute =
  | { kind: "local" }
  | { kind: "forwarded" }
  | { kind: "gone"; body: Buffer | undefined };

/** A request's body: already read, or still in the request (up to `maxBodySize`). */
export interface ForwardBody {
  body?: Buffer | undefined;
  maxBodySize: number;
}

const LOCAL: ClusterRoute = { kind: "local" };
const FORWARDED: ClusterRoute = { kind: "forwarded" };

export class ClusterNode {
  readonly id: string;
  readonly #registry: ClusterRegistry;
  readonly #secret: string;
  readonly #logger: Logger;
  readonly #connectTimeoutMs: number;
  readonly #agents: ForwardAgents;
  /** Requests a peer signed: served here whatever they name, never sent on (one hop). */
  readonly #fromPeers = new WeakSet<IncomingMessage>();
  #record: ReplicaRecord | undefined;
  #advertise: string | undefined;

  constructor(options: ClusterOptions, logger: Logger, ca?: string | Buffer) {
    checkClusterOptions(options);
    this.id = options.replicaId ?? newReplicaId();
    this.#registry = options.registry;
    this.#secret = options.secret;
    this.#logger = logger;
    this.#advertise = options.advertise?.replace(/\/+$/, "");
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CLUSTER_CONNECT_TIMEOUT_MS;
    this.#agents = createForwardAgents(ca);
  }

  /** The URL the other replicas reach this one at (once joined). */
  get url(): string | undefined {
    return this.#record?.url;
  }

  get draining(): boolean {
    return this.#record?.draining ?? false;
  }

  /** A session id naming this replica: `<replica>.<uuid>`. */
  newSessionId(): string {
    return `${this.id}.${randomUUID()}`;
  }

  /** What the gateway starts its requestStates with (core's requestStatePrefix). */
  get statePrefix(): string {
    return `${this.id}.`;
  }

  /** Registers this replica once the server listens. */
  async join(host: string, port: number, tls: boolean): Promise<void> {
    const url = this.#advertise ?? defaultAdvertiseUrl(host, port, tls);
    this.#record = { id: this.id, url, draining: false };
    await this.#registry.publish(this.#record);
    this.#logger.info("cluster: joined", { replica: this.id, advertise: url });
  }

  /** Takes no new sessions from now on; peers stop sending them here. */
  async drain(): Promise<void> {
    if (!this.#record || this.#record.draining) return;
    this.#record = { ...this.#record, draining: true };
    this.#logger.info("cluster: draining", { replica: this.id });
    try {
      await this.#registry.publish(this.#record);
    } catch (error) {
      this.#logger.warn("cluster: could not publish draining", { error });
    }
  }

  /** Leaves the registry: requests for this replica's sessions get 404 from the others. */
  async leave(): Promise<void> {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
    try {
      await this.#registry.leave(this.id);
    } catch (error) {
      this.#logger.warn("cluster: could not leave the registry", { error });
    }
  }

  /**
   * Checks a peer's signature: true when a replica sent `req` (a bad signature is refused with
   * 403 before anything else). Such a request skips the Host and Origin checks, which the
   * replica the client reached made already.
   */
  acceptFromPeer(req: IncomingMessage): boolean {
    const peer = verifyForward(req, this.#secret);
    if (peer === undefined) return false;
    this.#fromPeers.add(req);
    return true;
  }

  isFromPeer(req: IncomingMessage): boolean {
    return this.#fromPeers.has(req);
  }

  /** The replica an id issued in the cluster names, when it is another one. */
  otherOwner(id: string | undefined): string | undefined {
    if (id === undefined) return undefined;
    const dot = id.indexOf(".");
    if (dot <= 0) return undefined;
    const owner = id.slice(0, dot);
    return owner !== this.id && REPLICA_ID_PATTERN.test(owner) ? owner : undefined;
  }

  /**
   * Sends `req` to the replica that owns `id` (a session id or requestState) when that is
   * another one. "gone": it names a replica the registry no longer knows, or that cannot be
   * reached (the caller answers as for an unknown session). `body`: the body if already read.
   */
  async route(
    req: IncomingMessage,
    res: ServerResponse,
    id: string | undefined,
    body: ForwardBody,
  ): Promise<ClusterRoute> {
    if (this.isFromPeer(req)) return LOCAL;
    const owner = this.otherOwner(id);
    if (owner === undefined) return LOCAL;
    const record = await this.#lookup(owner);
    if (!record) return { kind: "gone", body: body.body };
    const failed = await this.#forward(req, res, record, body);
    return failed ? { kind: "gone", body: failed.body } : FORWARDED;
  }

  /**
   * Sends a new session elsewhere while this replica drains: to a live replica that is not
   * draining. False when there is none (the caller refuses as a closing server does).
   */
  async handOff(req: IncomingMessage, res: ServerResponse, body: ForwardBody): Promise<boolean> {
    if (this.isFromPeer(req)) return false;
    let peers: ReplicaRecord[];
    try {
      peers = (await this.#registry.list()).filter((r) => r.id !== this.id && !r.draining);
    } catch (error) {
      this.#logger.warn("cluster: registry unavailable for a hand-off", { error });
      return false;
    }
    // One try per peer, in random order, so that hand-offs spread.
    let next = body;
    for (let i = peers.length; i > 0; i--) {
      const pick = peers.splice(Math.floor(Math.random() * i), 1)[0] as ReplicaRecord;
      const failed = await this.#forward(req, res, pick, next);
      if (!failed) return true;
      // A body past the limit cannot be sent again.
      if (failed.body === undefined && req.method === "POST") return false;
      next = { ...next, body: failed.body };
    }
    return false;
  }

  async #lookup(owner: string): Promise<ReplicaRecord | undefined> {
    try {
      return await this.#registry.lookup(owner);
    } catch (cause) {
      throw new McpProxyError(
        ErrorCodes.CLUSTER_UNAVAILABLE,
        "Service Unavailable: the cluster registry cannot be reached",
        { cause },
      );
    }
  }

  /** Undefined once forwarded; the failure when the replica could not be reached. */
  async #forward(
    req: IncomingMessage,
    res: ServerResponse,
    record: ReplicaRecord,
    { body, maxBodySize }: ForwardBody,
  ): Promise<OwnerUnreachableError | undefined> {
    try {
      await forwardRequest(
        req,
        res,
        {
          url: record.url,
          signature: signForward(this.#secret, this.id, req.method ?? "", req.url ?? "/"),
          via: `mcp-proxy-${this.id}`,
          ...(body !== undefined ? { body } : {}),
          maxBodySize,
          connectTimeoutMs: this.#connectTimeoutMs,
          onAnswer: () => noteForward(req),
        },
        this.#agents,
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof OwnerUnreachableError)) throw error;
      this.#logger.warn("cluster: replica unreachable", {
        replica: record.id,
        url: record.url,
        error: error.message,
      });
      return error;
    }
  }
}
