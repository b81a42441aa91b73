// The reference library's high-level helper: an SDK Server whose every request
// and notification is relayed to an SDK Client, and the Client's server->client
// requests (sampling, elicitation, roots) relayed back. Results pass through a
// loose schema so fields the SDK does not model are kept, not stripped. Server
// and Client may each come from SDK v1 or v2 (see sdk-shapes.ts for where the
// two differ and how that is told apart).
import {
  ErrorCode,
  McpError,
  type ProgressToken,
  ResultSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { tapNotifications } from "./notification-tap.js";
import {
  assertSdkPeer,
  type RequestOptionsLike,
  type RequestScope,
  requestScope,
  type SdkClientLike,
  type SdkServerLike,
  type ServerCapabilitiesLike,
} from "./sdk-shapes.js";

export interface ProxyServerOptions {
  /** The SDK Server (v1 or v2) facing the downstream client; connected or not yet. */
  server: SdkServerLike;
  /** The SDK Client (v1 or v2) connected to the upstream server. */
  client: SdkClientLike;
  /** What the proxy advertises; requests outside it are refused. Default: the upstream's. */
  capabilities?: ServerCapabilitiesLike;
  /**
   * The reference library's name for `capabilities`. Give either; both only
   * when they are the same object.
   */
  serverCapabilities?: ServerCapabilitiesLike;
  /** Per-request timeout towards the upstream, in ms (SDK default when absent). */
  requestTimeout?: number;
}

// Which capability a method family needs. Methods not listed are forwarded.
const CAPABILITY_OF: ReadonlyArray<[prefix: string, capability: keyof ServerCapabilitiesLike]> = [
  ["tools/", "tools"],
  ["resources/", "resources"],
  ["prompts/", "prompts"],
  ["completion/", "completions"],
  ["logging/", "logging"],
];

const PROGRESS = "notifications/progress";

// Process-wide rather than per call: several proxyServers may share one
// upstream Client, and each sees every progress notification it receives.
let lastProgressToken = 0;

function allowed(method: string, capabilities: ServerCapabilitiesLike | undefined): boolean {
  if (!capabilities) return true;
  for (const [prefix, capability] of CAPABILITY_OF) {
    if (method.startsWith(prefix)) return capabilities[capability] !== undefined;
  }
  return true;
}

function chooseCapabilities(options: ProxyServerOptions): ServerCapabilitiesLike | undefined {
  const { capabilities, serverCapabilities } = options;
  if (capabilities && serverCapabilities && capabilities !== serverCapabilities) {
    throw new TypeError(
      "proxyServer: `capabilities` and `serverCapabilities` name the same option; give one of them",
    );
  }
  return capabilities ?? serverCapabilities ?? options.client.getServerCapabilities();
}

interface WithMeta {
  params?: { _meta?: { progressToken?: ProgressToken } };
}

/**
 * Relays everything between `server` (facing the client) and `client` (facing
 * the upstream). Call before or after connecting either. Handlers are in place
 * when it returns; the promise (the reference library's signature) is already
 * settled, and misuse throws a TypeError at the call rather than rejecting, so
 * callers that do not await it lose nothing. It takes over `client`'s progress
 * notifications and its server->client requests (they go to the Server wired
 * last), so use a Client dedicated to the proxy; other listeners on `client`'s
 * notifications (`getUpstreamBridge`, other proxyServers) keep receiving them.
 * Once `server` closes, it is no longer sent the upstream's notifications.
 */
export function proxyServer(options: ProxyServerOptions): Promise<void> {
  const { server, client, requestTimeout } = options;
  assertSdkPeer(server, "server");
  assertSdkPeer(client, "client");
  const caps = chooseCapabilities(options);

  // Progress is relayed with our own token per request rather than through
  // the SDK's onprogress: the SDK dispatches notifications a tick after it
  // reads them but settles responses at once, so its per-request handler is
  // gone before the last progress before a result is dispatched. The SDK's
  // own progress handler is removed so that progress reaches the fallback.
  const progressRoutes = new Map<string, (progress: Record<string, unknown>) => Promise<void>>();
  client.removeNotificationHandler(PROGRESS);
  const untap = tapNotifications(client, async (notification) => {
    if (notification.method !== PROGRESS) {
      await server.notification(notification);
      return;
    }
    const { progressToken, ...progress } = notification.params ?? {};
    await progressRoutes.get(String(progressToken))?.(progress);
  });

  server.fallbackRequestHandler = async (request, context) => {
    if (!allowed(request.method, caps)) {
      throw new McpError(ErrorCode.MethodNotFound, `Method not found: ${request.method}`);
    }
    const scope = requestScope(context);
    const { jsonrpc: _j, id: _id, ...plain } = request;
    const token = (request as WithMeta).params?._meta?.progressToken;
    const requestOptions: RequestOptionsLike = { signal: scope.signal };
    if (requestTimeout !== undefined) requestOptions.timeout = requestTimeout;
    if (token === undefined) return client.request(plain, ResultSchema, requestOptions);

    const ours = `proxy-progress-${++lastProgressToken}`;
    progressRoutes.set(ours, (progress) => relayProgress(scope, token, progress));
    const params = plain.params ?? {};
    const meta = (params._meta ?? {}) as Record<string, unknown>;
    const forwarded = { ...plain, params: { ...params, _meta: { ...meta, progressToken: ours } } };
    try {
      return await client.request(forwarded, ResultSchema, requestOptions);
    } finally {
      // Let progress read just before the result be dispatched first.
      setImmediate(() => progressRoutes.delete(ours));
    }
  };

  server.fallbackNotificationHandler = async (notification) => {
    await client.notification(notification);
  };

  // One upstream Client may serve a proxyServer per downstream connection:
  // one that has gone stops listening, rather than failing every relay.
  const previousOnClose = server.onclose;
  server.onclose = () => {
    untap();
    previousOnClose?.();
  };

  client.fallbackRequestHandler = async (request, context) => {
    const { jsonrpc: _j, id: _id, ...plain } = request;
    return server.request(plain, ResultSchema, { signal: requestScope(context).signal });
  };

  return Promise.resolve();
}

function relayProgress(
  scope: RequestScope,
  token: ProgressToken,
  progress: Record<string, unknown>,
): Promise<void> {
  return scope
    .notify({ method: PROGRESS, params: { ...progress, progressToken: token } })
    .catch(() => {});
}
