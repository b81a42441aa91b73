// What proxyServer and the upstream bridge use of an SDK Server or Client,
// written as structural types so objects of either SDK line fit: v1
// (`@modelcontextprotocol/sdk`) and v2 (`@modelcontextprotocol/server` and
// `/client`). Nothing here imports v2, for types or at run time: the published
// package keeps v1 as its only peer.
//
// Members are declared in method syntax on purpose: TypeScript compares method
// parameters bivariantly, which is what lets both lines' differently generated
// request and notification types satisfy one declaration.
import type { ResultSchema } from "@modelcontextprotocol/sdk/types.js";

/** A notification, or a request without its JSON-RPC envelope, as both lines accept it. */
export interface RpcMessage {
  method: string;
  params?: { [key: string]: unknown };
}

/** A request as both lines hand it to a fallback handler (envelope included). */
export interface RpcRequest extends RpcMessage {
  jsonrpc?: string;
  id?: string | number;
}

/** v1 hands request handlers an `extra` with the request's signal and a reply channel. */
interface V1HandlerExtra {
  signal: AbortSignal;
  sendNotification(notification: RpcMessage): Promise<void>;
}

/** v2 hands them a `ctx` whose request-scoped half is `mcpReq`. */
interface V2HandlerContext {
  mcpReq: {
    signal: AbortSignal;
    notify(notification: RpcMessage): Promise<void>;
  };
}

/** The second argument of a request handler, from either line. */
export type HandlerContext = V1HandlerExtra | V2HandlerContext;

/** What a forwarded request needs of its handler context, whichever line supplied it. */
export interface RequestScope {
  signal: AbortSignal;
  notify(notification: RpcMessage): Promise<void>;
}

/**
 * Reads a handler context of either line. This is where the lines differ for
 * a fallback handler, so it is told apart here, per call, by shape: v2's
 * context has `mcpReq`, v1's `extra` does not.
 */
export function requestScope(context: HandlerContext): RequestScope {
  if ("mcpReq" in context) {
    const { mcpReq } = context;
    return { signal: mcpReq.signal, notify: (n) => mcpReq.notify(n) };
  }
  return { signal: context.signal, notify: (n) => context.sendNotification(n) };
}

/** Per-request options both lines' `request()` accept. */
export interface RequestOptionsLike {
  signal?: AbortSignal;
  timeout?: number;
}

/**
 * The capabilities proxyServer and the bridge read; v1's and v2's
 * ServerCapabilities both fit.
 */
export interface ServerCapabilitiesLike {
  tools?: { listChanged?: boolean };
  prompts?: { listChanged?: boolean };
  resources?: { subscribe?: boolean; listChanged?: boolean };
  completions?: object;
  logging?: object;
}

/**
 * The part of a Server or Client that relaying needs; the same in both lines.
 * `request` is given v1's loose `ResultSchema`: v1 parses results with it as a
 * zod schema, and v2 takes any Standard Schema, which zod schemas are, so one
 * schema keeps unmodelled result fields in both.
 */
export interface SdkPeer {
  request(
    request: RpcMessage,
    resultSchema: typeof ResultSchema,
    options?: RequestOptionsLike,
  ): Promise<object>;
  notification(notification: RpcMessage): Promise<void>;
  fallbackRequestHandler?(request: RpcRequest, context: HandlerContext): Promise<object>;
  fallbackNotificationHandler?(notification: RpcMessage): Promise<void>;
  removeNotificationHandler(method: string): void;
}

/** An SDK Server of either line, as proxyServer uses it. */
export interface SdkServerLike extends SdkPeer {
  onclose?: () => void;
}

/** An SDK Client of either line, as proxyServer uses it. */
export interface SdkClientLike extends SdkPeer {
  getServerCapabilities(): ServerCapabilitiesLike | undefined;
}

/** The filter of a 2026-07-28 `subscriptions/listen` (v2 Client only). */
export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

/** An open `subscriptions/listen` stream (v2's McpSubscription, as far as it is used). */
export interface ListenStream {
  close(): Promise<void>;
  /** Settles with why it ended: `"local"` (closed here), `"remote"` or `"graceful"`. */
  readonly closed: Promise<string>;
}

/** An SDK Client of either line, as the upstream bridge uses it. */
export interface UpstreamClientLike {
  fallbackNotificationHandler?(notification: RpcMessage): Promise<void>;
  getServerCapabilities(): ServerCapabilitiesLike | undefined;
  subscribeResource(params: { uri: string }, options?: RequestOptionsLike): Promise<unknown>;
  unsubscribeResource(params: { uri: string }, options?: RequestOptionsLike): Promise<unknown>;
  /** v2 only: `"modern"` once a 2026-07-28 connection is negotiated. */
  getProtocolEra?(): string | undefined;
  /** v2 only: opens a 2026-07-28 `subscriptions/listen` stream. */
  listen?(filter: ListenFilter, options?: RequestOptionsLike): Promise<ListenStream>;
}

const PEER_METHODS = ["request", "notification", "removeNotificationHandler"];
const CLIENT_METHODS = [...PEER_METHODS, "getServerCapabilities"];

/**
 * Refuses, with a TypeError naming what is missing, an object that is not an
 * SDK Server or Client of either line, before any handler is installed on it.
 */
export function assertSdkPeer(value: unknown, role: "server" | "client"): void {
  const members =
    value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
  const missing = (role === "client" ? CLIENT_METHODS : PEER_METHODS).filter(
    (name) => typeof members[name] !== "function",
  );
  if (missing.length > 0) {
    const kind = role === "server" ? "Server" : "Client";
    throw new TypeError(
      `proxyServer: \`${role}\` is not an MCP SDK ${kind} (v1 or v2): missing ${missing.join(", ")}`,
    );
  }
}
