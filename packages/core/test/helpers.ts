// Test helpers for core: an SDK Client talking through an in-memory pair to
// one side of a bridge whose other side is a real child process.
import { echoServerCommand } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import {
  type BridgeHandle,
  type BridgeOptions,
  bridge,
  type ChildProcessOptions,
  ChildProcessTransport,
} from "../src/index.js";

export interface Rig {
  client: Client;
  child: ChildProcessTransport;
  handle: BridgeHandle;
  /** Every message the client's transport received, in order (the SDK Client may drop late progress). */
  received: JSONRPCMessage[];
}

export function echoChild(extra: Partial<ChildProcessOptions> = {}): ChildProcessTransport {
  const { args = [], ...rest } = extra;
  const { command, args: echoArgs, stderr } = echoServerCommand(args);
  return new ChildProcessTransport({
    stderr,
    killGracePeriodMs: 500,
    ...rest,
    command,
    args: echoArgs,
  });
}

export async function connectThroughBridge(
  child: ChildProcessTransport,
  options: BridgeOptions = {},
  capabilities: ConstructorParameters<typeof Client>[1] = {},
): Promise<Rig> {
  const [clientSide, proxySide] = InMemoryTransport.createLinkedPair();
  const handle = await bridge(proxySide, child, options);
  const client = new Client({ name: "core-test", version: "1.0.0" }, capabilities);
  await client.connect(clientSide);
  const received: JSONRPCMessage[] = [];
  const deliver = clientSide.onmessage;
  clientSide.onmessage = (message, extra) => {
    received.push(message);
    deliver?.(message, extra);
  };
  return { client, child, handle, received };
}

export function textOf(result: unknown): string {
  const content = (result as { content: Array<{ type: string; text?: string }> }).content;
  return content.map((c) => c.text ?? "").join("");
}
