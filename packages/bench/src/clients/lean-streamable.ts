// The lean Streamable HTTP client: initialize + notifications/initialized, then
// tools/call POSTs carrying Mcp-Session-Id (absent in stateless mode), one parse per reply.
import type { Agent } from "node:http";
import { type HttpReply, httpRequest, sseMessages } from "./http-request.js";
import {
  type BenchSession,
  INITIALIZE_PARAMS,
  LEAN_PROTOCOL_VERSION,
  textLength,
} from "./types.js";

const BASE_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

export async function openLeanStreamable(url: URL, agent: Agent): Promise<BenchSession> {
  const headers: Record<string, string> = { ...BASE_HEADERS };
  let nextId = 1;
  const post = (body: string) => httpRequest(agent, "POST", url, headers, body);

  const initId = nextId++;
  const init = await post(
    JSON.stringify({ jsonrpc: "2.0", id: initId, method: "initialize", params: INITIALIZE_PARAMS }),
  );
  const initResult = responseOf(init, initId) as { result?: { protocolVersion?: string } };
  const sessionId = init.headers["mcp-session-id"];
  if (typeof sessionId === "string") headers["mcp-session-id"] = sessionId;
  headers["mcp-protocol-version"] = initResult.result?.protocolVersion ?? LEAN_PROTOCOL_VERSION;
  const initialized = await post('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  if (initialized.status >= 300) throw new Error(`initialized: HTTP ${initialized.status}`);

  let closed = false;
  return {
    async call(name, args) {
      const id = nextId++;
      const reply = await post(
        JSON.stringify({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name, arguments: args },
        }),
      );
      return textLength(responseOf(reply, id));
    },
    async close() {
      if (closed) return;
      closed = true;
      if (typeof sessionId === "string") await httpRequest(agent, "DELETE", url, headers);
    },
  };
}

/** The JSON-RPC response in a reply, whether it came as JSON or as an SSE stream. */
function responseOf(reply: HttpReply, id: number): unknown {
  if (reply.status !== 200) throw new Error(`HTTP ${reply.status}: ${reply.body.slice(0, 200)}`);
  if (String(reply.headers["content-type"]).startsWith("text/event-stream")) {
    const found = sseMessages(reply.body).find((m) => (m as { id?: unknown }).id === id);
    if (!found) throw new Error("no response in the SSE stream");
    return found;
  }
  return JSON.parse(reply.body);
}
