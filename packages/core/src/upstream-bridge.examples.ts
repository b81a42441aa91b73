// The README's getUpstreamBridge example (type-checked, not exported). In your
// own project import from "@mcp-proxy/core"; the Client may as well come from
// `@modelcontextprotocol/client` (v2), on a 2025 or a 2026-07-28 connection.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ChildProcessTransport } from "./child-process.js";
import { acquireListenSubscriptions, getUpstreamBridge } from "./upstream-bridge.js";

/** Reports on stderr the upstream's tool list changes and updates to `uris`, until `done`. */
export async function watchUpstream(
  command: string,
  args: string[],
  uris: string[],
  done: Promise<void>,
): Promise<void> {
  const client = new Client({ name: "watcher", version: "1.0.0" });
  await client.connect(new ChildProcessTransport({ command, args }));

  // One bridge per Client, shared; each consumer takes its own lease.
  const lease = getUpstreamBridge({ client, requestTimeout: 10_000 }).subscribe({
    toolsListChanged: () => console.error("tools changed"),
    // Offered to every lease: report only what this one holds.
    resourceUpdated: ({ uri }) => {
      if (lease.owns(uri)) console.error(`${uri} changed`);
    },
  });
  // resources/subscribe goes upstream once per URI, whichever lease asks first.
  for (const uri of uris) await lease.addResourceSubscription(uri);

  await done;
  await lease.release(); // resources/unsubscribe for what no other lease holds
  await client.close();
}

/** `uris` all held, or none (a refusal gives back the rest): an onListenSubscriptions hook. */
export function holdAll(client: Client, uris: string[]): Promise<() => Promise<void>> {
  return acquireListenSubscriptions({ client, uris });
}
