// What every benchmark client offers: one open MCP session that can call a tool.

/** An initialised MCP session (initialize + notifications/initialized already done). */
export interface BenchSession {
  /** Calls a tool and resolves with the length of the first text content (checked by callers). */
  call(name: string, args: Record<string, unknown>): Promise<number>;
  /** Ends the session (DELETE for stateful HTTP, stdin end for stdio); idempotent. */
  close(): Promise<void>;
}

/** `lean`: hand-written minimal client; `sdk`: the official SDK `Client` and transport. */
export type ClientKind = "lean" | "sdk";

/** The protocol version the lean clients ask for (2025-era Streamable HTTP). */
export const LEAN_PROTOCOL_VERSION = "2025-06-18";

export const INITIALIZE_PARAMS = {
  protocolVersion: LEAN_PROTOCOL_VERSION,
  capabilities: {},
  clientInfo: { name: "mcp-proxy-bench", version: "0.0.0" },
};

/** The length of `result.content[0].text` of a tools/call result; throws on a JSON-RPC error. */
export function textLength(message: unknown): number {
  const m = message as {
    error?: { message?: string };
    result?: { content?: { text?: string }[]; isError?: boolean };
  };
  if (m.error) throw new Error(`JSON-RPC error: ${m.error.message ?? "?"}`);
  if (m.result?.isError) throw new Error("tool returned isError");
  return m.result?.content?.[0]?.text?.length ?? -1;
}
