// Test helpers for the modern gateway: a real echo fixture upstream whose sent
// messages are recorded, a sink that collects what the gateway delivers, and
// 2026-07-28 request builders shaped as the spec shows them.
import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { META, ModernGateway, type ModernGatewayOptions, type ModernSink } from "../src/index.js";
import { echoChild } from "./helpers.js";

export interface Collected {
  sink: ModernSink;
  notes: JSONRPCNotification[];
  response: Promise<Record<string, unknown>>;
  responded: () => boolean;
  /** The HTTP status the gateway suggested with its answer (only for its own failures). */
  status: () => number | undefined;
}

export function collect(): Collected {
  const notes: JSONRPCNotification[] = [];
  let resolve!: (m: Record<string, unknown>) => void;
  let done = false;
  let status: number | undefined;
  const response = new Promise<Record<string, unknown>>((r) => {
    resolve = r;
  });
  return {
    notes,
    response,
    responded: () => done,
    status: () => status,
    sink: {
      notify: (n) => notes.push(n),
      respond: (m, s) => {
        done = true;
        status = s;
        resolve(m as unknown as Record<string, unknown>);
      },
    },
  };
}

export function modernMeta(
  capabilities: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    [META.protocolVersion]: "2026-07-28",
    [META.clientInfo]: { name: "modern-test", version: "1.0.0" },
    [META.clientCapabilities]: capabilities,
    ...extra,
  };
}

export function modernRequest(
  id: RequestId,
  method: string,
  params: Record<string, unknown> = {},
  capabilities: Record<string, unknown> = {},
  extraMeta: Record<string, unknown> = {},
): JSONRPCRequest {
  return {
    jsonrpc: "2.0",
    id,
    method,
    params: { ...params, _meta: modernMeta(capabilities, extraMeta) },
  } as JSONRPCRequest;
}

export interface GatewayRig {
  gateway: ModernGateway;
  /** Every message the gateway sent to any upstream, in order. */
  sent: JSONRPCMessage[];
  pids: number[];
}

const open: ModernGateway[] = [];

export function gatewayRig(
  options: Partial<ModernGatewayOptions> = {},
  args: string[] = [],
): GatewayRig {
  const sent: JSONRPCMessage[] = [];
  const pids: number[] = [];
  const gateway = new ModernGateway({
    createUpstream: () => {
      const child = echoChild({ args, onExit: () => {} });
      const send = child.send.bind(child);
      child.send = async (message) => {
        sent.push(message);
        await send(message);
        if (child.pid !== undefined && !pids.includes(child.pid)) pids.push(child.pid);
      };
      return child;
    },
    ...options,
  });
  open.push(gateway);
  return { gateway, sent, pids };
}

export async function closeGateways(): Promise<void> {
  await Promise.all(open.splice(0).map((g) => g.close()));
}

export function resultOf(response: Record<string, unknown>): Record<string, unknown> {
  if (!response.result) throw new Error(`expected a result, got ${JSON.stringify(response)}`);
  return response.result as Record<string, unknown>;
}

export function textOfResult(response: Record<string, unknown>): string {
  const content = resultOf(response).content as Array<{ text?: string }>;
  return content.map((c) => c.text ?? "").join("");
}
