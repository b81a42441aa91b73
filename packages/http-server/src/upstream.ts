// Opens the upstream of a session: the user's Transport (createUpstream), or
// an SDK Server connected over an in-process pair (createServer). Either way
// the session sees one started Transport.
import type { IncomingMessage } from "node:http";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { createInProcessPair } from "./in-process.js";
import type { StartHTTPServerOptions } from "./options.js";

export interface OpenedUpstream {
  transport: Transport;
  server?: Server;
}

/**
 * Creates the upstream without starting it (the caller installs its handlers first,
 * then calls `transport.start()`).
 */
export async function createUpstreamFor(
  options: StartHTTPServerOptions,
  request: IncomingMessage,
  sessionId: string | undefined,
): Promise<OpenedUpstream> {
  if (options.createUpstream) {
    return { transport: await options.createUpstream({ request, sessionId }) };
  }
  if (!options.createServer)
    throw new TypeError("startHTTPServer: createServer or createUpstream is required");
  const server = await options.createServer(request);
  const [upstreamSide, serverSide] = createInProcessPair(sessionId);
  await server.connect(serverSide);
  return { transport: upstreamSide, server };
}
