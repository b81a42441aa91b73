// A named server's allowTools/denyTools, applied on its upstream transport so that
// every route to it (its own endpoints, the aggregate, both eras) sees the same
// tools: tools/list answers lose the hidden tools, and a tools/call for one is
// answered here with an error, never sent.
import { JsonRpcErrorCodes, jsonRpcError } from "@mcp-proxy/core";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { toolAllowed } from "./server-config.js";

export interface ToolFilters {
  allowTools?: readonly string[];
  denyTools?: readonly string[];
}

type Message = { id?: RequestId; method?: string; params?: { name?: unknown }; result?: unknown };

const key = (id: RequestId) => (typeof id === "number" ? `n${id}` : `s${id}`);

/** `inner` with the filters applied; `inner` itself when there are none. */
export function filterTools(inner: Transport, filters: ToolFilters): Transport {
  if (!filters.allowTools && !filters.denyTools) return inner;
  /** tools/list requests in flight, whose answers are filtered. */
  const lists = new Set<string>();
  const send = inner.send.bind(inner);
  inner.send = async (message, options) => {
    const m = message as Message;
    if (m.id !== undefined && m.method === "tools/list") lists.add(key(m.id));
    if (m.id !== undefined && m.method === "tools/call") {
      const name = String(m.params?.name);
      if (!toolAllowed(name, filters)) {
        const answer = jsonRpcError(
          m.id,
          JsonRpcErrorCodes.INVALID_PARAMS,
          `Unknown tool: ${name}`,
        ) as JSONRPCMessage;
        queueMicrotask(() => inner.onmessage?.(answer));
        return;
      }
    }
    return send(message, options);
  };
  // Installed on start: the consumer sets onmessage before starting the transport.
  const start = inner.start.bind(inner);
  inner.start = async () => {
    const deliver = inner.onmessage;
    inner.onmessage = (message, extra) => {
      const m = message as Message;
      if (m.id !== undefined && m.method === undefined && lists.delete(key(m.id))) {
        const result = m.result as { tools?: Array<{ name: string }> } | undefined;
        if (result?.tools) {
          const tools = result.tools.filter((tool) => toolAllowed(tool.name, filters));
          deliver?.({ ...m, result: { ...result, tools } } as unknown as JSONRPCMessage, extra);
          return;
        }
      }
      deliver?.(message, extra);
    };
    await start();
  };
  return inner;
}
