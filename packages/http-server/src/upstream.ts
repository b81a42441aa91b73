// Opens the upstream of a session: the user's Transport (createUpstream), or
// an SDK Server connected over an in-process pair (createServer). Either way
// the session sees one started Transport.
import type { IncomingMessage } from "node:http";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { createInProcessPair } from "./in-process.js";
import type { McpServerLike, StartHTTPServerOptions } from "./options.js";
import { TimedUpstream } from "./upstream-timing.js";

export interface OpenedUpstream {
  transport: Transport;
  server?: McpServerLike;
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
    return { transport: timed(options, await options.createUpstream({ request, sessionId })) };
  }
  if (!options.createServer)
    throw new TypeError("startHTTPServer: createServer or createUpstream is required");
  const server = await options.createServer(request);
  const [upstreamSide, serverSide] = createInProcessPair(sessionId);
  await server.connect(serverSide);
  return { transport: timed(options, upstreamSide), server };
}

/** The upstream, timed per request when the metrics hook asks for it. */
function timed(options: StartHTTPServerOptions, transport: Transport): Transport {
  const onAnswer = options.metrics?.onUpstreamAnswer?.bind(options.metrics);
  return onAnswer ? new TimedUpstream(transport, onAnswer) : transport;
}
