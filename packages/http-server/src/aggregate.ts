// The aggregate: one MCP server made of the named servers, as the upstream
// Transport of the main endpoints (so 2025-era sessions, HTTP+SSE and the
// 2026-07-28 gateway serve it like any upstream). Each aggregate session opens
// its own upstream on every named server through that server's endpoint
// (createUpstream or createServer, in its era), initialised with exactly what
// the calling client declared; so a server's sampling, elicitation and roots
// requests go back to the session that caused them. Lists are merged with names
// prefixed `<server><separator>` (the naming lives in aggregate-catalog.ts), calls
// routed by that prefix, and a server that fails is left out with a log line.
import type { IncomingMessage } from "node:http";
import { JsonRpcErrorCodes, jsonRpcError, type Logger } from "@mcp-proxy/core";
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type JSONRPCMessage,
  LATEST_PROTOCOL_VERSION,
  type MessageExtraInfo,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import {
  AggregateCatalog,
  closedError,
  errorText,
  invalidParams,
  LISTED,
  type Member,
  type Message,
  methodNotFound,
} from "./aggregate-catalog.js";
import { waitWhile } from "./endpoint.js";
import { idKey } from "./exchange.js";
import type { UpstreamMessageExtra } from "./in-process.js";
import type { NamedMember, NamedServers } from "./named-servers.js";
import type { UpstreamContext } from "./options.js";

/** How long a server may take to initialise or to answer a list before it is left out. */
export const AGGREGATE_MEMBER_TIMEOUT_MS = 30_000;
export interface AggregateSettings {
  separator: string;
  logger: Logger;
  /** Default AGGREGATE_MEMBER_TIMEOUT_MS. */
  memberTimeoutMs?: number;
}

/** The main endpoints' createUpstream when they serve the aggregate. */
export function createAggregateUpstream(
  named: NamedServers,
  settings: AggregateSettings,
): (context: UpstreamContext) => Transport {
  return ({ request, sessionId }) => new AggregateTransport(named, request, sessionId, settings);
}

class AggregateTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  readonly #named: NamedServers;
  readonly #request: IncomingMessage;
  readonly #sessionId: string | undefined;
  readonly #catalog: AggregateCatalog;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  #members: Member[] = [];
  /** Server->client requests forwarded, by the id the client saw. */
  readonly #serverRequests = new Map<string, { member: Member; id: RequestId }>();
  /** Client requests routed to one server, for cancellation. */
  readonly #routed = new Map<string, { member: Member; id: number }>();
  #nextServerRequest = 0;
  #closed = false;
  #unsubscribe: (() => void) | undefined;

  constructor(
    named: NamedServers,
    request: IncomingMessage,
    sessionId: string | undefined,
    settings: AggregateSettings,
  ) {
    this.#named = named;
    this.#request = request;
    this.#sessionId = sessionId;
    this.#logger = settings.logger;
    this.#timeoutMs = settings.memberTimeoutMs ?? AGGREGATE_MEMBER_TIMEOUT_MS;
    this.#catalog = new AggregateCatalog(settings.separator, settings.logger, {
      live: (capability) => this.#live(capability),
      routable: () => this.#members.filter((m) => !m.closed),
      call: (member, method, params) => this.#call(member, method, params),
    });
  }

  async start(): Promise<void> {
    // A server removed (reload) leaves every session's lists at once and refuses new calls;
    // calls already routed to it finish (within the grace period) before its upstream ends,
    // as requests on its own routes do.
    this.#unsubscribe = this.#named.onRemoved(async (name, graceMs) => {
      const member = this.#members.find((m) => m.name === name);
      if (!member) return;
      member.leaving = true;
      await waitWhile(() => !member.closed && member.forClient.size > 0, graceMs);
      await member.transport.close().catch(() => undefined);
    });
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#closed) throw new Error("aggregate closed");
    const m = message as Message;
    if (m.method === undefined) {
      // The client's answer to a server's request.
      if (m.id === undefined) return;
      const target = this.#serverRequests.get(idKey(m.id));
      if (!target) return;
      this.#serverRequests.delete(idKey(m.id));
      if (!target.member.closed)
        await target.member.transport.send({ ...message, id: target.id } as JSONRPCMessage);
      return;
    }
    if (m.id === undefined) {
      this.#notification(m);
      return;
    }
    const id = m.id;
    void this.#handle(m, id, options).then(
      (response) =>
        this.#deliver(
          (response.error !== undefined
            ? { jsonrpc: "2.0", id, error: response.error }
            : { jsonrpc: "2.0", id, result: response.result ?? {} }) as JSONRPCMessage,
        ),
      (error: unknown) =>
        this.#deliver(
          jsonRpcError(
            id,
            JsonRpcErrorCodes.INTERNAL_ERROR,
            error instanceof Error ? error.message : String(error),
          ) as JSONRPCMessage,
        ),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    await Promise.allSettled(this.#members.map((m) => m.transport.close()));
    this.onclose?.();
  }

  #deliver(message: JSONRPCMessage, relatedRequestId?: RequestId): void {
    if (this.#closed) return;
    const extra: UpstreamMessageExtra | undefined =
      relatedRequestId === undefined ? undefined : { relatedRequestId };
    this.onmessage?.(message, extra as MessageExtraInfo | undefined);
  }

  /** Answers one client request: `{ result }` or `{ error }`. */
  async #handle(m: Message, id: RequestId, options?: TransportSendOptions): Promise<Message> {
    const params = m.params ?? {};
    switch (m.method) {
      case "initialize":
        return this.#initialize(params);
      case "ping":
        return { result: {} };
      case "tools/list":
        return this.#catalog.list("tools", "tools/list", "tools");
      case "prompts/list":
        return this.#catalog.list("prompts", "prompts/list", "prompts");
      case "resources/templates/list":
        return this.#catalog.list("resources", "resources/templates/list", "resourceTemplates");
      case "resources/list":
        return this.#catalog.listResources();
      case "tools/call":
      case "prompts/get":
        return this.#routeByName(m, id, params, options);
      case "resources/read":
      case "resources/subscribe":
      case "resources/unsubscribe":
        return this.#routeByUri(m, id, params, options);
      case "completion/complete":
        return this.#complete(id, params, options);
      case "logging/setLevel":
        await Promise.allSettled(
          this.#live("logging").map((member) => this.#call(member, m.method as string, params)),
        );
        return { result: {} };
      default:
        return methodNotFound(m.method as string);
    }
  }

  async #initialize(params: Record<string, unknown>): Promise<Message> {
    const requested = params.protocolVersion;
    const version =
      typeof requested === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
        ? requested
        : LATEST_PROTOCOL_VERSION;
    const opened = await Promise.all(
      this.#named.members().map((named) => this.#open(named, { ...params })),
    );
    this.#members = opened.filter((m): m is Member => m !== undefined);
    // Members can leave (a crash, a reload): every list can change.
    const capabilities = AggregateCatalog.capabilities(this.#members);
    const instructions = this.#members
      .filter((m) => m.instructions)
      .map((m) => `${m.name}: ${m.instructions}`)
      .join("\n\n");
    return {
      result: {
        protocolVersion: version,
        capabilities,
        serverInfo: { name: "mcp-proxy-aggregate", version: "1.0.0" },
        ...(instructions ? { instructions } : {}),
      },
    };
  }

  /** Opens and initialises one server's upstream; undefined (logged) when it fails. */
  async #open(named: NamedMember, params: Record<string, unknown>): Promise<Member | undefined> {
    let transport: Transport | undefined;
    const member: Member = {
      name: named.name,
      transport: undefined as unknown as Transport,
      capabilities: {},
      nextId: 0,
      waiting: new Map(),
      forClient: new Map(),
      aliases: new Map(),
      closed: false,
      leaving: false,
    };
    try {
      if (named.ctx.closing) throw new Error("the server is being removed");
      transport = (await named.ctx.upstreams.open(this.#request, this.#sessionId)).transport;
      member.transport = transport;
      transport.onmessage = (message, extra) =>
        this.#fromMember(member, message as Message, extra as UpstreamMessageExtra | undefined);
      transport.onclose = () => this.#memberClosed(member);
      transport.onerror = (error) =>
        this.#logger.debug("aggregate: server error", { server: named.name, error });
      await transport.start();
      const response = await this.#call(member, "initialize", params);
      if (response.error !== undefined) throw new Error(errorText(response.error));
      const result = response.result ?? {};
      member.capabilities = (result.capabilities as Record<string, unknown>) ?? {};
      if (typeof result.instructions === "string") member.instructions = result.instructions;
      await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      return member;
    } catch (error) {
      this.#logger.warn(`aggregate: server "${named.name}" left out`, {
        reason: error instanceof Error ? error.message : String(error),
      });
      member.closed = true;
      await transport?.close().catch(() => undefined);
      return undefined;
    }
  }

  /** The members that list and take calls: not closed, not being removed. */
  #live(capability?: string): Member[] {
    return this.#members.filter(
      (m) =>
        !m.closed &&
        !m.leaving &&
        (capability === undefined || m.capabilities[capability] !== undefined),
    );
  }

  /** Sends a request to one server; resolves with its response (or an error response). */
  #call(
    member: Member,
    method: string,
    params: Record<string, unknown>,
    route?: { clientId: RequestId; options?: TransportSendOptions },
  ): Promise<Message> {
    if (member.closed || member.leaving) return Promise.resolve(closedError(member));
    const id = ++member.nextId;
    const key = idKey(id);
    return new Promise<Message>((resolve) => {
      // Only what the proxy asks on its own is bounded: a routed call runs as long as the
      // client lets it (the server's own request timeout applies below).
      const timer = route
        ? undefined
        : setTimeout(
            () =>
              settle({ error: { code: JsonRpcErrorCodes.INTERNAL_ERROR, message: "timed out" } }),
            this.#timeoutMs,
          );
      const settle = (response: Message) => {
        if (timer) clearTimeout(timer);
        member.waiting.delete(key);
        member.forClient.delete(key);
        if (route) this.#routed.delete(idKey(route.clientId));
        resolve(response);
      };
      member.waiting.set(key, settle);
      if (route) {
        member.forClient.set(key, route.clientId);
        this.#routed.set(idKey(route.clientId), { member, id });
      }
      member.transport
        .send({ jsonrpc: "2.0", id, method, params } as JSONRPCMessage, route?.options)
        .catch((error: unknown) =>
          settle({
            error: {
              code: JsonRpcErrorCodes.CONNECTION_CLOSED,
              message: `server "${member.name}": ${error instanceof Error ? error.message : String(error)}`,
            },
          }),
        );
    });
  }

  async #routeByName(
    m: Message,
    id: RequestId,
    params: Record<string, unknown>,
    options?: TransportSendOptions,
  ): Promise<Message> {
    const target = this.#catalog.byName(params.name);
    if (!target)
      return invalidParams(
        `Unknown ${m.method === "tools/call" ? "tool" : "prompt"}: ${String(params.name)}`,
      );
    return this.#call(
      target.member,
      m.method as string,
      { ...params, name: target.name },
      { clientId: id, options },
    );
  }

  async #routeByUri(
    m: Message,
    id: RequestId,
    params: Record<string, unknown>,
    options?: TransportSendOptions,
  ): Promise<Message> {
    const target = await this.#catalog.byUri(params.uri);
    if (!target)
      return { error: { code: -32002, message: `Resource not found: ${String(params.uri)}` } };
    return this.#call(
      target.member,
      m.method as string,
      { ...params, uri: target.uri },
      { clientId: id, options },
    );
  }

  async #complete(
    id: RequestId,
    params: Record<string, unknown>,
    options?: TransportSendOptions,
  ): Promise<Message> {
    const ref = (params.ref ?? {}) as Record<string, unknown>;
    if (ref.type === "ref/prompt") {
      const target = this.#catalog.byName(ref.name);
      if (!target) return invalidParams(`Unknown prompt: ${String(ref.name)}`);
      return this.#call(
        target.member,
        "completion/complete",
        { ...params, ref: { ...ref, name: target.name } },
        { clientId: id, options },
      );
    }
    const target = await this.#catalog.byUri(ref.uri);
    if (!target) return invalidParams(`Unknown resource: ${String(ref.uri)}`);
    return this.#call(
      target.member,
      "completion/complete",
      { ...params, ref: { ...ref, uri: target.uri } },
      { clientId: id, options },
    );
  }

  #notification(m: Message): void {
    if (m.method === "notifications/initialized") return; // each server got its own
    if (m.method === "notifications/cancelled") {
      const requestId = m.params?.requestId as RequestId | undefined;
      const routed = requestId === undefined ? undefined : this.#routed.get(idKey(requestId));
      if (routed && !routed.member.closed) {
        void routed.member.transport
          .send({ jsonrpc: "2.0", method: m.method, params: { ...m.params, requestId: routed.id } })
          .catch(() => undefined);
      }
      return;
    }
    // roots/list_changed and anything else: every server hears it.
    for (const member of this.#live()) {
      void member.transport.send(m as JSONRPCMessage).catch(() => undefined);
    }
  }

  #fromMember(member: Member, m: Message, extra: UpstreamMessageExtra | undefined): void {
    if (m.method === undefined) {
      if (m.id !== undefined) member.waiting.get(idKey(m.id))?.(m);
      return;
    }
    const related =
      extra?.relatedRequestId !== undefined
        ? member.forClient.get(idKey(extra.relatedRequestId))
        : undefined;
    if (m.id !== undefined) {
      if (m.method === "ping") {
        void member.transport.send({ jsonrpc: "2.0", id: m.id, result: {} }).catch(() => undefined);
        return;
      }
      // Sampling, elicitation, roots: to this session's client under an id of ours.
      const id = `${member.name}:${++this.#nextServerRequest}`;
      this.#serverRequests.set(idKey(id), { member, id: m.id });
      this.#deliver({ ...(m as JSONRPCMessage), id } as JSONRPCMessage, related);
      return;
    }
    if (m.method === "notifications/cancelled") {
      const requestId = m.params?.requestId;
      for (const [key, target] of this.#serverRequests) {
        if (target.member === member && target.id === requestId) {
          this.#deliver({
            ...(m as JSONRPCMessage),
            params: { ...m.params, requestId: key.slice(1) },
          } as JSONRPCMessage);
          return;
        }
      }
      return;
    }
    if (m.method === "notifications/resources/updated" && typeof m.params?.uri === "string") {
      const uri = this.#catalog.clientUri(member, m.params.uri);
      this.#deliver(
        { ...(m as JSONRPCMessage), params: { ...m.params, uri } } as JSONRPCMessage,
        related,
      );
      return;
    }
    this.#deliver(m as JSONRPCMessage, related);
  }

  #memberClosed(member: Member): void {
    if (member.closed) return;
    member.closed = true;
    for (const settle of [...member.waiting.values()]) settle(closedError(member));
    for (const [key, target] of this.#serverRequests) {
      if (target.member === member) this.#serverRequests.delete(key);
    }
    if (this.#closed || !this.#members.includes(member)) return;
    this.#logger.warn(
      `aggregate: server "${member.name}" left the aggregate (its upstream closed)`,
    );
    for (const key of LISTED) {
      if (member.capabilities[key] !== undefined)
        this.#deliver({ jsonrpc: "2.0", method: `notifications/${key}/list_changed` });
    }
  }
}
