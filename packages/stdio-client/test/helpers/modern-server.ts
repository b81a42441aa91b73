// A small raw MCP 2026-07-28 server on node:http, shaped as the spec shows:
// header validation (core's validateModernRequest), server/discover, results
// with resultType, an input_required tool (sampling) that completes on retry,
// subscriptions/listen with an acknowledgement, and a tool that announces a
// tools list change. Every POST body is recorded for assertions.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { META, validateModernRequest } from "@mcp-proxy/core";

export interface ModernRequestRecord {
  headers: IncomingMessage["headers"];
  body: {
    id?: unknown;
    method?: string;
    params?: Record<string, unknown> & { _meta?: Record<string, unknown> };
  };
}

export interface ModernTestServer {
  url: string;
  requests: ModernRequestRecord[];
  /** Ids of requests whose response stream the client closed before the answer. */
  cancelled: unknown[];
  /** Open listen streams. */
  listeners: number;
  close(): Promise<void>;
}

/** An opaque requestState with characters a careless client might re-encode. */
export const REQUEST_STATE = "st@te/ü+==?&  x";

/** The input request the `ask` tools send in their first round, under the key `question`. */
export const QUESTION = {
  method: "sampling/createMessage",
  params: {
    messages: [{ role: "user", content: { type: "text", text: "q?" } }],
    maxTokens: 5,
  },
};

const TOOLS = [
  { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } },
  { name: "ask", inputSchema: { type: "object" } },
  { name: "touch", inputSchema: { type: "object" } },
  { name: "hang", inputSchema: { type: "object" } },
  { name: "drop", inputSchema: { type: "object" } },
  { name: "ask-twice", inputSchema: { type: "object" } },
  { name: "never-done", inputSchema: { type: "object" } },
  {
    name: "region",
    inputSchema: {
      type: "object",
      properties: { region: { type: "string", "x-mcp-header": "Region" } },
    },
  },
];

const live = new Set<ModernTestServer>();

export interface ModernServerOptions {
  /** The versions it accepts (-32022 for others). Default ["2026-07-28"]. */
  supportedVersions?: string[];
}

export async function startModernServer(
  options: ModernServerOptions = {},
): Promise<ModernTestServer> {
  const supportedVersions = options.supportedVersions ?? ["2026-07-28"];
  const requests: ModernRequestRecord[] = [];
  const cancelled: unknown[] = [];
  const listens = new Map<unknown, ServerResponse>();

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const complete = (id: unknown, result: Record<string, unknown>) => ({
    jsonrpc: "2.0",
    id,
    result: { resultType: "complete", ...result },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return;
    }
    let text = "";
    for await (const chunk of req) text += chunk;
    const body = JSON.parse(text) as ModernRequestRecord["body"];
    requests.push({ headers: { ...req.headers }, body });
    const tool =
      body.method === "tools/call" ? TOOLS.find((t) => t.name === body.params?.name) : undefined;
    const checked = validateModernRequest({
      headers: req.headers,
      message: body,
      toolInputSchema: tool?.inputSchema,
      supportedVersions,
    });
    if (!checked.ok) return json(res, checked.status, checked.jsonRpcError);
    const { id, method } = body;
    const params = body.params ?? {};
    switch (method) {
      case "server/discover":
        return json(
          res,
          200,
          complete(id, {
            supportedVersions,
            capabilities: { tools: { listChanged: true }, resources: { subscribe: true } },
            instructions: "a modern fixture",
            ttlMs: 0,
            cacheScope: "private",
            _meta: { [META.serverInfo]: { name: "modern-fixture", version: "2.0.0" } },
          }),
        );
      case "tools/list":
        return json(res, 200, complete(id, { tools: TOOLS, ttlMs: 0, cacheScope: "private" }));
      case "tools/call":
        return callTool(id, params, res);
      case "subscriptions/listen": {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const ack = {
          jsonrpc: "2.0",
          method: "notifications/subscriptions/acknowledged",
          params: { notifications: params.notifications, _meta: { [META.subscriptionId]: id } },
        };
        res.write(`event: message\ndata: ${JSON.stringify(ack)}\n\n`);
        listens.set(id, res);
        res.on("close", () => listens.delete(id));
        return;
      }
      default:
        return json(res, 404, {
          jsonrpc: "2.0",
          id,
          error: { code: -32601, message: `Method not found: ${method}` },
        });
    }
  };

  const callTool = (id: unknown, params: Record<string, unknown>, res: ServerResponse) => {
    const args = (params.arguments ?? {}) as Record<string, unknown>;
    switch (params.name) {
      case "echo":
        return json(res, 200, complete(id, { content: [{ type: "text", text: args.text }] }));
      case "ask": {
        const answer = (params.inputResponses as Record<string, unknown> | undefined)?.question as
          | { content?: { text?: string } }
          | undefined;
        if (params.requestState === REQUEST_STATE && answer?.content?.text) {
          // Answer on an SSE stream, as servers may.
          res.writeHead(200, { "content-type": "text/event-stream" });
          const result = complete(id, {
            content: [{ type: "text", text: `sampled: ${answer.content.text}` }],
          });
          res.end(`event: message\ndata: ${JSON.stringify(result)}\n\n`);
          return;
        }
        return json(res, 200, {
          jsonrpc: "2.0",
          id,
          result: {
            resultType: "input_required",
            inputRequests: { question: QUESTION },
            requestState: REQUEST_STATE,
          },
        });
      }
      case "touch":
        for (const [listenId, stream] of listens) {
          const n = {
            jsonrpc: "2.0",
            method: "notifications/tools/list_changed",
            params: { _meta: { [META.subscriptionId]: listenId } },
          };
          stream.write(`event: message\ndata: ${JSON.stringify(n)}\n\n`);
        }
        return json(res, 200, complete(id, { content: [] }));
      case "ask-twice": {
        // Two rounds: sampling first, then roots, each named by its own requestState.
        const responses = (params.inputResponses ?? {}) as Record<string, { roots?: unknown[] }>;
        if (params.requestState === "round-2" && responses.where?.roots) {
          const n = responses.where.roots.length;
          return json(res, 200, complete(id, { content: [{ type: "text", text: `${n} roots` }] }));
        }
        const round2 = params.requestState === "round-1";
        return json(res, 200, {
          jsonrpc: "2.0",
          id,
          result: {
            resultType: "input_required",
            inputRequests: round2 ? { where: { method: "roots/list" } } : { question: QUESTION },
            requestState: round2 ? "round-2" : "round-1",
          },
        });
      }
      case "never-done":
        return json(res, 200, {
          jsonrpc: "2.0",
          id,
          result: { resultType: "input_required", requestState: "again" },
        });
      case "region":
        return json(res, 200, complete(id, { content: [{ type: "text", text: args.region }] }));
      case "drop":
        // The server ends every listen stream (e.g. a restart behind a load balancer).
        for (const stream of listens.values()) stream.end();
        return json(res, 200, complete(id, { content: [] }));
      case "hang":
        // Never answers; the client closing the stream is the cancellation.
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(": waiting\n\n");
        res.on("close", () => cancelled.push(id));
        return;
      default:
        return json(res, 200, {
          jsonrpc: "2.0",
          id,
          error: { code: -32602, message: `Unknown tool ${String(params.name)}` },
        });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const handleObj: ModernTestServer = {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    cancelled,
    get listeners() {
      return listens.size;
    },
    close: async () => {
      live.delete(handleObj);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  live.add(handleObj);
  return handleObj;
}

/** Closes every modern server still running (afterEach). */
export async function closeModernServers(): Promise<void> {
  await Promise.allSettled([...live].map((s) => s.close()));
}
