// What the reference README's examples take from their surroundings: a
// connected upstream `client`, a `createServer`, a `StdioClientTransport` that
// needs no arguments, and a way to report back to the test. Everything here is
// ours; the examples themselves are verbatim (see each file's marked block).
import { proxyServer } from "@mcp-proxy/core";
import { Client as SdkClient } from "@modelcontextprotocol/client";
import { StdioClientTransport as SdkStdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { Server } from "@modelcontextprotocol/server";

/** The echo fixture's path, handed over by the test (its helpers are TypeScript sources). */
export const ECHO_SERVER = process.env.ECHO_SERVER as string;

/** The SDK's stdio client transport, spawning our echo fixture when the example names no server. */
export class StdioClientTransport extends SdkStdioClientTransport {
  constructor(params?: ConstructorParameters<typeof SdkStdioClientTransport>[0]) {
    super(params ?? { command: process.execPath, args: [ECHO_SERVER], stderr: "ignore" });
  }
}

/**
 * The SDK's v2 Client, named when the example names nothing (`new Client()`): strict servers,
 * such as our fixture built on SDK v1, refuse an initialize without clientInfo.
 */
export class Client extends SdkClient {
  constructor(...args: Partial<ConstructorParameters<typeof SdkClient>>) {
    const [info, options] = args;
    super(info ?? { name: "reference-readme", version: "1.0.0" }, options);
  }
}

/** An SDK v2 client connected to the echo fixture: the examples' upstream. */
export const client = new Client({ name: "reference-readme", version: "1.0.0" });
await client.connect(new StdioClientTransport());

/** The reference's own pattern: a v2 Server per connection, proxied to `client`. */
export const createServer = async () => {
  const serverCapabilities = client.getServerCapabilities() ?? {};
  const server = new Server(client.getServerVersion() ?? { name: "echo", version: "0" }, {
    capabilities: serverCapabilities,
  });
  await proxyServer({ client, server, serverCapabilities });
  return server;
};

/** Tells the test something (the child is spawned with an IPC channel). */
export const report = (message: Record<string, unknown>): void => {
  process.send?.(message);
};

/** Runs `handler` for each command the test sends. */
export const onCommand = (handler: (command: Record<string, unknown>) => unknown): void => {
  process.on("message", async (command: Record<string, unknown>) => {
    try {
      report({ reply: command.id, result: await handler(command) });
    } catch (error) {
      report({ reply: command.id, error: String(error) });
    }
  });
};

export { Server };
