// README snippets, type-checked with the package so the docs cannot rot.
// In your own project import from "@mcp-proxy/tap". Run with
// `npx tsx examples/tap.examples.ts` (prints one line per event on stderr).
import { createWriteStream } from "node:fs";
import { ChildProcessTransport } from "@mcp-proxy/core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  createHumanFormatter,
  createJsonLinesFormatter,
  DEFAULT_REDACT_KEYS,
  tapTransport,
} from "../src/index.js";

//#region human
export async function watchAServer(): Promise<void> {
  const format = createHumanFormatter({ label: "everything" });
  const transport = tapTransport(
    new ChildProcessTransport({
      command: "npx",
      args: ["-y", "@modelcontextprotocol/server-everything"],
    }),
    (event) => process.stderr.write(`${format(event)}\n`),
  );
  const client = new Client({ name: "tap-example", version: "1.0.0" });
  await client.connect(transport);
  await client.listTools();
  await client.close();
}
//#endregion human

//#region jsonl
export function logToFile(transport: Transport, path: string): Transport {
  const out = createWriteStream(path, { flags: "a" });
  const format = createJsonLinesFormatter({
    redactKeys: [...DEFAULT_REDACT_KEYS, "sessionSecret"],
  });
  return tapTransport(transport, (event) => out.write(`${format(event)}\n`));
}
//#endregion jsonl

if (import.meta.url === `file://${process.argv[1]}`) await watchAServer();
