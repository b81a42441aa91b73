// The named servers of one startHTTPServer: an endpoint each (createEndpointContext, the
// same machinery as the main one) under /servers/<name>/, their listing and health, and
// adding or draining one while the others keep serving.
import type { Logger } from "@mcp-proxy/core";
import type { ClusterNode } from "./cluster.js";
import type { ServerContext } from "./context.js";
import {
  closeEndpoint,
  createEndpointContext,
  type EndpointKind,
  endpointBusy,
  waitWhile,
} from "./endpoint.js";
import type {
  HealthStatus,
  NamedServerOptions,
  NamedServerStatus,
  NamedServersHandle,
  StartHTTPServerOptions,
} from "./options.js";

export const SERVERS_PATH = "/servers";
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface Entry {
  name: string;
  options: NamedServerOptions;
  ctx: ServerContext;
}

/** Throws a TypeError unless `name` can be a path segment and a prefix of tool names. */
export function checkServerName(name: string): void {
  if (!NAME.test(name) || name.length > 100) {
    throw new TypeError(
      `startHTTPServer: server name "${name.slice(0, 100)}" must be letters, digits, ".", "_" or "-"`,
    );
  }
}

/** The paths of a named server's endpoints. */
export function namedPaths(name: string): { stream: string; sse: string; messages: string } {
  const base = `${SERVERS_PATH}/${name}`;
  return { stream: `${base}/mcp`, sse: `${base}/sse`, messages: `${base}/messages` };
}

/** Upstream factory of a named server, as the aggregate opens it. */
export interface NamedMember {
  readonly name: string;
  readonly ctx: ServerContext;
}

/** Told of a removal; resolves once its own use of the server has drained (within `graceMs`). */
export type RemovedListener = (name: string, graceMs: number) => void | Promise<void>;

export class NamedServers implements NamedServersHandle {
  readonly #base: StartHTTPServerOptions;
  readonly #logger: Logger;
  readonly #heartbeatMs: number;
  readonly #graceMs: number;
  readonly #entries = new Map<string, Entry>();
  /** Removed servers still finishing their in-flight requests. */
  readonly #draining = new Set<Entry>();
  readonly #removedListeners = new Set<RemovedListener>();
  #baseUrl = "";
  #closed = false;

  readonly #cluster: ClusterNode | undefined;

  constructor(
    base: StartHTTPServerOptions,
    logger: Logger,
    heartbeatMs: number,
    graceMs: number,
    cluster?: ClusterNode,
  ) {
    this.#cluster = cluster;
    this.#base = base;
    this.#logger = logger;
    this.#heartbeatMs = heartbeatMs;
    this.#graceMs = graceMs;
  }

  set baseUrl(url: string) {
    this.#baseUrl = url;
  }

  get size(): number {
    return this.#entries.size;
  }

  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** The live servers, in the order they were added (the aggregate's order). */
  members(): NamedMember[] {
    return [...this.#entries.values()];
  }

  /**
   * Runs `listener` with the name of each server removed from now on; the server's endpoint
   * closes once its own requests and every listener's promise have settled.
   */
  onRemoved(listener: RemovedListener): () => void {
    this.#removedListeners.add(listener);
    return () => this.#removedListeners.delete(listener);
  }

  /** Adds without awaiting a replaced one's drain (the constructor's path). */
  addNow(name: string, options: NamedServerOptions): Promise<void> {
    checkServerName(name);
    if (!options.createServer === !options.createUpstream) {
      throw new TypeError(
        `startHTTPServer: server "${name}": pass exactly one of createServer or createUpstream`,
      );
    }
    if (this.#closed) throw new Error("startHTTPServer: the server is closed");
    const replaced = this.#entries.has(name) ? this.remove(name) : Promise.resolve();
    const paths = namedPaths(name);
    const merged: StartHTTPServerOptions = {
      ...this.#base,
      createServer: options.createServer,
      createUpstream: options.createUpstream,
      stateless: options.stateless ?? false,
      modern: options.modern ?? this.#base.modern,
      upstreamProtocol: options.upstreamProtocol ?? this.#base.upstreamProtocol,
      maxUpstreams: options.maxUpstreams ?? this.#base.maxUpstreams,
      // Its own value replaces both spellings of the top-level one (they must not disagree).
      ...(options.sessionTimeout !== undefined
        ? { sessionTimeout: options.sessionTimeout, sessionIdleTimeout: undefined }
        : {}),
      health: options.health,
      streamEndpoint: paths.stream,
      sseEndpoint: paths.sse,
      messagesEndpoint: paths.messages,
    };
    const logger = withFields(this.#logger, { server: name });
    const ctx = createEndpointContext(merged, paths, logger, this.#heartbeatMs, this.#cluster);
    this.#entries.set(name, { name, options, ctx });
    return replaced;
  }

  async add(name: string, options: NamedServerOptions): Promise<void> {
    await this.addNow(name, options);
  }

  /** The endpoint a request path belongs to, if it is a live named server's. */
  match(path: string): { ctx: ServerContext; kind: EndpointKind } | undefined {
    if (!path.startsWith(`${SERVERS_PATH}/`)) return undefined;
    const rest = path.slice(SERVERS_PATH.length + 1);
    const slash = rest.indexOf("/");
    if (slash <= 0) return undefined;
    const entry = this.#entries.get(rest.slice(0, slash));
    if (!entry) return undefined;
    const tail = rest.slice(slash + 1);
    const kind: EndpointKind | undefined =
      tail === "mcp"
        ? "stream"
        : tail === "sse"
          ? "sse"
          : tail === "messages"
            ? "messages"
            : undefined;
    return kind ? { ctx: entry.ctx, kind } : undefined;
  }

  async remove(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (!entry) return;
    // New requests (and those naming its sessions) get 404 from here on.
    this.#entries.delete(name);
    this.#draining.add(entry);
    // Users beyond its routes (aggregate sessions) drain their calls to it alongside.
    const drains = [...this.#removedListeners].map(async (listener) => {
      try {
        await listener(name, this.#graceMs);
      } catch (error) {
        this.#logger.warn("server removal listener failed", { error });
      }
    });
    try {
      await Promise.all([waitWhile(() => endpointBusy(entry.ctx), this.#graceMs), ...drains]);
      await closeEndpoint(entry.ctx, this.#graceMs);
      this.#logger.info("server removed", { server: name });
    } finally {
      this.#draining.delete(entry);
    }
  }

  async list(): Promise<NamedServerStatus[]> {
    return Promise.all(
      [...this.#entries.values()].map(async (entry) => {
        const paths = namedPaths(entry.name);
        const health = await healthOf(entry, this.#logger);
        return {
          name: entry.name,
          url: `${this.#baseUrl}${paths.stream}`,
          sseUrl: `${this.#baseUrl}${paths.sse}`,
          status: health.ok ? ("healthy" as const) : ("unhealthy" as const),
          ...(health.detail !== undefined ? { detail: health.detail } : {}),
        };
      }),
    );
  }

  /** True while any server (live or draining) has requests in flight. */
  busy(): boolean {
    return [...this.#entries.values(), ...this.#draining].some((e) => endpointBusy(e.ctx));
  }

  /** Ends every server's endpoint (the caller waited for in-flight requests). */
  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#entries.values(), ...this.#draining];
    for (const entry of entries) entry.ctx.closing = true;
    await Promise.allSettled(entries.map((e) => closeEndpoint(e.ctx, this.#graceMs)));
  }
}

/** A server's health hook and its 2026-07-28 gateway folded into one status. */
async function healthOf(entry: Entry, logger: Logger): Promise<HealthStatus> {
  let status: HealthStatus = { ok: true };
  try {
    status = (await entry.options.health?.()) ?? status;
  } catch (error) {
    logger.warn("health check failed", { server: entry.name, error });
    status = { ok: false, detail: "health check failed" };
  }
  const gateway = entry.ctx.modern;
  if (gateway && !gateway.healthy)
    return { ok: false, detail: status.detail ?? "upstream failing" };
  return status;
}

/** `logger` with `fields` added to every line (which server a session line is about). */
function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  const wrap =
    (level: keyof Logger) =>
    (message: string, more?: Record<string, unknown>): void =>
      logger[level](message, { ...fields, ...more });
  return { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}
