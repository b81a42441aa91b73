// The option names of the reference package (`mcp-proxy` 6.x `startStdioServer`),
// resolved onto ours in one place: `serverType` → `transport`, `upstreamProtocol`
// → `protocol`, and the SDK client-transport options in `transportOptions` that
// have a meaning for our undici transports. What we cannot honour is refused
// here with the option's name, never dropped.
import type { ProtocolEraOption } from "@mcp-proxy/core";
import { DEFAULT_UPSTREAM_PROTOCOL } from "@mcp-proxy/core/internal";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { RemoteTransportKind } from "./auto-transport.js";
import type { HttpClientOptions, ReconnectOptions } from "./options.js";

/**
 * The reference's name for the `protocol`/`upstreamProtocol` values, kept so that code written
 * against it compiles unchanged (MIGRATING.md). Ours is core's `ProtocolEraOption`.
 */
export type UpstreamProtocol = ProtocolEraOption;

/** The reference's `serverType` values (its `enum ServerType`), with the same string values. */
export const ServerType = {
  HTTPStream: "HTTPStream",
  SSE: "SSE",
} as const;
export type ServerType = (typeof ServerType)[keyof typeof ServerType];

/** Our `transport` for each `serverType`. */
const TRANSPORT_OF: Record<ServerType, RemoteTransportKind> = {
  HTTPStream: "stream",
  SSE: "sse",
};

/** The SDK's `StreamableHTTPReconnectionOptions`, every field optional. */
export interface ReferenceReconnectionOptions {
  maxReconnectionDelay?: number;
  initialReconnectionDelay?: number;
  reconnectionDelayGrowFactor?: number;
  maxRetries?: number;
}

/**
 * The reference's `transportOptions`: `SSEClientTransportOptions` or
 * `StreamableHTTPClientTransportOptions` of the MCP SDK (v1 or v2), typed
 * structurally so that neither SDK line is needed to compile against it.
 * Without `initStreamClient`/`initStdioServer`, only `requestInit.headers`,
 * `reconnectionOptions` and `authProvider` (our `authProvider`) are honoured;
 * every other field is refused.
 */
export interface ReferenceTransportOptions {
  requestInit?: RequestInit;
  reconnectionOptions?: ReferenceReconnectionOptions;
  authProvider?: unknown;
  fetch?: unknown;
  eventSourceInit?: unknown;
  sessionId?: string;
  reconnectionScheduler?: unknown;
  redirectPolicy?: string;
  skipIssuerMetadataValidation?: boolean;
}

/** The reference's option names, accepted beside ours by `startStdioServer`. */
export interface ReferenceStdioOptions {
  /** The reference's name for `transport`: `ServerType.SSE` is `"sse"`, `ServerType.HTTPStream` is `"stream"`. */
  serverType?: ServerType;
  /** The reference's name for `protocol` (same values). Its default there is "legacy"; ours stays "auto". */
  upstreamProtocol?: ProtocolEraOption;
  /** The SDK client-transport options of the reference; see {@link ReferenceTransportOptions}. */
  transportOptions?: ReferenceTransportOptions;
}

/**
 * The `versionNegotiation` for an SDK v2 `Client` (`@modelcontextprotocol/client`)
 * that you construct for `initStreamClient`: `protocol`/`upstreamProtocol` do
 * not reach a client you bring. As in the reference, the default is "legacy"
 * (no probe), which yields `undefined`.
 */
export function resolveVersionNegotiation(
  upstreamProtocol: ProtocolEraOption = DEFAULT_UPSTREAM_PROTOCOL,
): undefined | { mode: "auto" } | { mode: { pin: "2026-07-28" } } {
  if (upstreamProtocol === "auto") return { mode: "auto" };
  if (upstreamProtocol === "modern") return { mode: { pin: "2026-07-28" } };
  return undefined;
}

/** What to use instead, for each transport option our transports cannot honour. */
const INSTEAD: Record<string, string> = {
  skipIssuerMetadataValidation:
    "OAuth runs the SDK 1.x auth(), which has no such switch; pass authProvider alone",
  fetch: "requests go through undici; use sslCa/sslCert/sslKey, HTTPS_PROXY or getHeaders instead",
  eventSourceInit: "use headers (they are sent on the event stream too) instead",
  sessionId: "the session is opened by the local client's initialize",
  reconnectionScheduler: "use transportOptions.reconnectionOptions or reconnect instead",
  redirectPolicy: "redirects are not followed",
};

/** A `transportOptions` field our transports cannot honour. */
export interface UnsupportedTransportOption {
  /** Its path, e.g. `transportOptions.authProvider`. */
  option: string;
  /** Why, and what to use instead. */
  message: string;
}

/**
 * The `transportOptions` fields our transports cannot honour; empty when they
 * can all be mapped. Fields set to `undefined` count as absent.
 */
export function unsupportedTransportOptions(
  options: ReferenceTransportOptions = {},
): UnsupportedTransportOption[] {
  const found: UnsupportedTransportOption[] = [];
  const refuse = (option: string, instead: string) =>
    found.push({ option, message: `${option} is not supported: ${instead}` });
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || name === "reconnectionOptions" || name === "authProvider") continue;
    if (name !== "requestInit") {
      refuse(
        `transportOptions.${name}`,
        INSTEAD[name] ?? "the stdio front's transports have no equivalent",
      );
      continue;
    }
    for (const [key, field] of Object.entries(value as object)) {
      if (field === undefined || key === "headers") continue;
      refuse(
        `transportOptions.requestInit.${key}`,
        "only requestInit.headers is honoured (merged into headers)",
      );
    }
  }
  return found;
}

/** Our names for what the reference names differently. */
type OurNames = HttpClientOptions & {
  transport?: RemoteTransportKind;
  protocol?: ProtocolEraOption;
};

/**
 * Resolves the reference's names onto ours; the result has none of them. Throws
 * a TypeError when a pair of names disagrees (`transport`/`serverType`,
 * `protocol`/`upstreamProtocol`) or a value is unknown. With `sdkTransport`
 * false, `transportOptions` fields we cannot honour are refused; with it true
 * they are left to the SDK transport (the caller keeps `transportOptions`).
 * Precedence where both sides give a value: `transportOptions.requestInit.headers`
 * < `headers` < `bearer` < `getHeaders`, and `reconnect` wins per field over
 * `transportOptions.reconnectionOptions`.
 */
export function resolveReferenceOptions<T extends OurNames & ReferenceStdioOptions>(
  options: T,
  { sdkTransport = false }: { sdkTransport?: boolean } = {},
): Omit<T, keyof ReferenceStdioOptions> {
  const { serverType, upstreamProtocol, transportOptions, ...ours } = options;
  const resolved: OurNames = ours;

  if (serverType !== undefined) {
    const transport = TRANSPORT_OF[serverType];
    if (transport === undefined)
      throw new TypeError(
        `Unknown serverType "${String(serverType)}" (expected ServerType.SSE or ServerType.HTTPStream)`,
      );
    if (ours.transport !== undefined && ours.transport !== transport)
      throw new TypeError(
        `transport "${ours.transport}" and serverType "${serverType}" disagree; pass one of them`,
      );
    resolved.transport = transport;
  }

  if (upstreamProtocol !== undefined) {
    if (
      upstreamProtocol !== "legacy" &&
      upstreamProtocol !== "auto" &&
      upstreamProtocol !== "modern"
    )
      throw new TypeError(
        `Unknown upstreamProtocol "${String(upstreamProtocol)}" (expected legacy, auto or modern)`,
      );
    if (ours.protocol !== undefined && ours.protocol !== upstreamProtocol)
      throw new TypeError(
        `protocol "${ours.protocol}" and upstreamProtocol "${upstreamProtocol}" disagree; pass one of them`,
      );
    resolved.protocol = upstreamProtocol;
  }

  if (transportOptions !== undefined && !sdkTransport) {
    const problems = unsupportedTransportOptions(transportOptions);
    if (problems.length > 0) throw new TypeError(problems.map((p) => p.message).join("; "));
    const headers = headersRecord(transportOptions.requestInit?.headers);
    if (headers !== undefined) resolved.headers = { ...headers, ...lowerCased(ours.headers) };
    const reconnect = reconnectOf(transportOptions.reconnectionOptions);
    if (reconnect !== undefined)
      resolved.reconnect = { ...reconnect, ...definedOnly(ours.reconnect) };
    const provider = authProviderOf(transportOptions.authProvider);
    if (provider !== undefined) {
      if (ours.authProvider !== undefined && ours.authProvider !== provider)
        throw new TypeError(
          "authProvider and transportOptions.authProvider disagree; pass one of them",
        );
      resolved.authProvider = provider;
    }
  }
  checkNumbers("reconnect", resolved.reconnect, RECONNECT_LEAST);
  return resolved as Omit<T, keyof ReferenceStdioOptions>;
}

/** A `HeadersInit` (a Headers object, `[name, value]` pairs or a record) as a record with lower-case names. */
export function headersRecord(
  init: ConstructorParameters<typeof Headers>[0],
): Record<string, string> | undefined {
  if (init === undefined) return undefined;
  const record: Record<string, string> = {};
  try {
    // Headers validates and joins repeated names the way fetch would.
    new Headers(init).forEach((value, name) => {
      record[name] = value;
    });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new TypeError(`transportOptions.requestInit.headers: ${reason}`, { cause });
  }
  return record;
}

/** The reference's `authProvider` (the SDK's OAuthClientProvider, v1 or v2) as ours. */
function authProviderOf(value: unknown): OAuthClientProvider | undefined {
  if (value === undefined) return undefined;
  const provider = value as Partial<OAuthClientProvider> | null;
  if (typeof provider?.tokens !== "function" || typeof provider.saveTokens !== "function")
    throw new TypeError(
      "transportOptions.authProvider must be an OAuthClientProvider (with tokens() and saveTokens())",
    );
  return provider as OAuthClientProvider;
}

function lowerCased(headers: Record<string, string> | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) record[name.toLowerCase()] = value;
  return record;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, field]) => field !== undefined),
  ) as Partial<T>;
}

/** The least value of each of our reconnection fields. */
const RECONNECT_LEAST: Record<keyof ReconnectOptions, number> = {
  initialDelay: 0,
  maxDelay: 0,
  growFactor: 1,
  maxAttempts: 1,
};

/** The least value of each SDK reconnection field (`maxRetries: 0` is "no retry"). */
const RECONNECTION_LEAST: Record<keyof ReferenceReconnectionOptions, number> = {
  initialReconnectionDelay: 0,
  maxReconnectionDelay: 0,
  reconnectionDelayGrowFactor: 1,
  maxRetries: 0,
};

/** Refuses numbers that would make no sense (a negative delay, a shrinking bound, no attempt). */
function checkNumbers<K extends string>(
  prefix: string,
  values: Partial<Record<K, number>> | undefined,
  least: Record<K, number>,
): void {
  for (const [name, bound] of Object.entries(least) as Array<[K, number]>) {
    const value = values?.[name];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < bound)
      throw new TypeError(
        `${prefix}.${name} must be a finite number of at least ${bound}, got ${String(value)}`,
      );
  }
}

/**
 * The SDK's reconnection options as ours. `maxRetries` counts the retries after
 * a first attempt; our `maxAttempts` counts every failed attempt: hence +1.
 */
function reconnectOf(
  options: ReferenceReconnectionOptions | undefined,
): ReconnectOptions | undefined {
  if (options === undefined) return undefined;
  checkNumbers("transportOptions.reconnectionOptions", options, RECONNECTION_LEAST);
  const reconnect: ReconnectOptions = {};
  if (options.initialReconnectionDelay !== undefined)
    reconnect.initialDelay = options.initialReconnectionDelay;
  if (options.maxReconnectionDelay !== undefined) reconnect.maxDelay = options.maxReconnectionDelay;
  if (options.reconnectionDelayGrowFactor !== undefined)
    reconnect.growFactor = options.reconnectionDelayGrowFactor;
  if (options.maxRetries !== undefined) reconnect.maxAttempts = options.maxRetries + 1;
  return reconnect;
}
