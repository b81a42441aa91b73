// Raw 2026-07-28 requests, shaped as the spec's streamable-http page shows
// them: `_meta` with protocol version, client info and capabilities in the
// body, MCP-Protocol-Version / Mcp-Method / Mcp-Name headers mirroring it.
import { ChildProcessTransport } from "@mcp-proxy/core";
import { echoServerCommand, waitFor } from "@mcp-proxy/test-utils";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

export const MODERN = "2026-07-28";

export const CLIENT_INFO = { name: "raw-modern", version: "1.0.0" };

let nextId = 1;

export interface ModernMessageOptions {
  id?: number | string;
  capabilities?: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

/** A 2026-07-28 request with the per-request `_meta` envelope. */
export function modernRequest(
  method: string,
  params: Record<string, unknown> = {},
  options: ModernMessageOptions = {},
): { jsonrpc: "2.0"; id: number | string; method: string; params: Record<string, unknown> } {
  return {
    jsonrpc: "2.0",
    id: options.id ?? nextId++,
    method,
    params: {
      ...params,
      _meta: {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
        "io.modelcontextprotocol/clientCapabilities": options.capabilities ?? {},
        ...options.meta,
      },
    },
  };
}

/** The headers the spec requires for `message` (Mcp-Name for tools/call, prompts/get, resources/read). */
export function modernHeaders(message: {
  method: string;
  params?: Record<string, unknown>;
}): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
    "MCP-Protocol-Version": MODERN,
    "Mcp-Method": message.method,
  };
  const name =
    message.method === "resources/read"
      ? message.params?.uri
      : message.method === "tools/call" || message.method === "prompts/get"
        ? message.params?.name
        : undefined;
  if (typeof name === "string") headers["Mcp-Name"] = name;
  return headers;
}

/** POSTs a modern message with its spec headers (overridable; `null` removes one). */
export function postModern(
  base: string,
  message: { method: string; params?: Record<string, unknown> },
  headers: Record<string, string | null> = {},
  signal?: AbortSignal,
): Promise<Response> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...modernHeaders(message), ...headers })) {
    if (v !== null) merged[k] = v;
  }
  return fetch(`${base}/mcp`, {
    method: "POST",
    headers: merged,
    body: JSON.stringify(message),
    signal,
  });
}

/** Reads a JSON body or every SSE `message` event of a response, in order. */
export async function messagesOf(res: Response): Promise<JSONRPCMessage[]> {
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("application/json")) return [(await res.json()) as JSONRPCMessage];
  const out: JSONRPCMessage[] = [];
  for await (const message of sseMessages(res)) out.push(message);
  return out;
}

/** Iterates the SSE `message` events of a streaming response as they arrive. */
export async function* sseMessages(res: Response): AsyncGenerator<JSONRPCMessage> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (data !== "") yield JSON.parse(data) as JSONRPCMessage;
    }
  }
}

/** Result of a JSON-RPC response message (throws on an error response). */
export function resultOf(message: JSONRPCMessage | undefined): Record<string, unknown> {
  if (!message || !("result" in message)) {
    throw new Error(`expected a result, got ${JSON.stringify(message)}`);
  }
  return message.result as Record<string, unknown>;
}

/** The echo fixture as the shared upstream, with every message the proxy sends it recorded. */
export function recordingEchoUpstream(sent: JSONRPCMessage[]): () => ChildProcessTransport {
  return () => {
    const transport = new ChildProcessTransport(echoServerCommand());
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      sent.push(message);
      return send(message, options);
    };
    return transport;
  };
}

/**
 * Opens a listen stream and collects what it receives until `close()`. Resolves once the first
 * message (the acknowledgement) is in; a status other than 200 or a non-SSE answer throws.
 */
export async function listen(url: string, notifications: Record<string, unknown>) {
  const abort = new AbortController();
  const request = modernRequest("subscriptions/listen", { notifications });
  const res = await postModern(url, request, {}, abort.signal);
  if (res.status !== 200 || !res.headers.get("content-type")?.includes("text/event-stream"))
    throw new Error(`listen: ${res.status} ${res.headers.get("content-type")}`);
  const received: JSONRPCMessage[] = [];
  const reading = (async () => {
    try {
      for await (const message of sseMessages(res)) received.push(message);
    } catch {
      // Aborted by the test.
    }
  })();
  await waitFor(() => received.length > 0);
  return {
    id: request.id,
    received,
    methods: () => received.map((m) => (m as { method?: string }).method),
    close: async () => {
      abort.abort();
      await reading;
    },
  };
}
