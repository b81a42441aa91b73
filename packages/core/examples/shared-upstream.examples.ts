// The README's SharedUpstream example, type-checked with the package.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ChildProcessTransport, SharedUpstream } from "../src/index.js";

/** One child for every session: hand `createUpstream` to whatever serves sessions. */
export function sharedChild(
  command: string,
  args: string[],
): {
  createUpstream: () => Transport;
  close: () => Promise<void>;
} {
  const shared = new SharedUpstream({
    createTransport: () => new ChildProcessTransport({ command, args }),
  });
  return { createUpstream: () => shared.connect(), close: () => shared.close() };
}
