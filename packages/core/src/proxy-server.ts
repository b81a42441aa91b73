// The reference library's high-level helper: an SDK Server whose every request
// and notification is relayed to an SDK Client, and the Client's server->client
// requests (sampling, elicitation, roots) relayed back. Results pass through a
// loose schema so fields the SDK does not model are kept, not stripped.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  ErrorCode,
  McpError,
  type Progress,
  ProgressNotificationSchema,
  type ProgressToken,
  ResultSchema,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";

export interface ProxyServerOptions {
  /** The SDK Server facing the downstream client (already constructed, not yet connected or connected). */
  server: Server;
  /** The SDK Client connected to the upstream server. */
  client: Client;
  /** What the proxy advertises; requests outside it are refused. Default: the upstream's. */
  capabilities?: ServerCapabilities;
  /** Per-request timeout towards the upstream, in ms (SDK default when absent). */
  requestTimeout?: number;
}

// Which capability a method family needs. Methods not listed are forwarded.
const CAPABILITY_OF: ReadonlyArray<[prefix: string, capability: keyof ServerCapabilities]> = [
  ["tools/", "tools"],
  ["resources/", "resources"],
  ["prompts/", "prompts"],
  ["completion/", "completions"],
  ["logging/", "logging"],
];

function allowed(method: string, capabilities: ServerCapabilities | undefined): boolean {
  if (!capabilities) return true;
  for (const [prefix, capability] of CAPABILITY_OF) {
    if (method.startsWith(prefix)) return capabilities[capability] !== undefined;
  }
  return true;
}

interface WithMeta {
  params?: { _meta?: { progressToken?: ProgressToken } };
}

/**
 * Relays everything between `server` (facing the client) and `client` (facing
 * the upstream). Call before or after connecting either; returns once handlers
 * are installed. It takes over `client`'s progress notifications, so use a
 * Client dedicated to the proxy.
 */
export function proxyServer({
  server,
  client,
  capabilities,
  requestTimeout,
}: ProxyServerOptions): void {
  const caps = capabilities ?? client.getServerCapabilities();

  // Progress is relayed with our own token per request rather than through
  // the SDK's onprogress: the SDK dispatches notifications a tick after it
  // reads them but settles responses at once, so its per-request handler is
  // gone before the last progress before a result is dispatched.
  const progressRoutes = new Map<string, (params: Progress) => Promise<void>>();
  let nextToken = 0;
  client.setNotificationHandler(ProgressNotificationSchema, async (notification) => {
    const { progressToken, ...progress } = notification.params;
    await progressRoutes.get(String(progressToken))?.(progress);
  });

  server.fallbackRequestHandler = async (request, extra) => {
    if (!allowed(request.method, caps)) {
      throw new McpError(ErrorCode.MethodNotFound, `Method not found: ${request.method}`);
    }
    const { jsonrpc: _j, id: _id, ...plain } = request;
    const token = (request as WithMeta).params?._meta?.progressToken;
    const options: RequestOptions = { signal: extra.signal };
    if (requestTimeout !== undefined) options.timeout = requestTimeout;
    if (token === undefined) return client.request(plain, ResultSchema, options);

    const ours = `proxy-progress-${++nextToken}`;
    progressRoutes.set(ours, (progress) =>
      extra
        .sendNotification({
          method: "notifications/progress",
          params: { ...progress, progressToken: token },
        })
        .catch(() => {}),
    );
    const params = plain.params ?? {};
    const forwarded = {
      ...plain,
      params: { ...params, _meta: { ...params._meta, progressToken: ours } },
    };
    try {
      return await client.request(forwarded, ResultSchema, options);
    } finally {
      // Let progress read just before the result be dispatched first.
      setImmediate(() => progressRoutes.delete(ours));
    }
  };

  server.fallbackNotificationHandler = async (notification) => {
    await client.notification(notification);
  };

  client.fallbackRequestHandler = async (request, extra) => {
    const { jsonrpc: _j, id: _id, ...plain } = request;
    return server.request(plain, ResultSchema, { signal: extra.signal });
  };

  client.fallbackNotificationHandler = async (notification) => {
    await server.notification(notification);
  };
}
