// Which requests belong to another replica before anything is read: those
// naming a session it issued (Streamable HTTP's Mcp-Session-Id, HTTP+SSE's
// sessionId query parameter). They are sent there before auth, which the
// owner does (it knows whose session it is).
import type { IncomingMessage, ServerResponse } from "node:http";
import { requestIdInBody } from "./body.js";
import type { ServerContext } from "./context.js";
import type { EndpointKind } from "./endpoint.js";
import { sessionNotFound, withRequestId } from "./refusals.js";
import { header, queryParam } from "./request-info.js";

/**
 * True when another replica owns the session `req` names and got the request. A session of a
 * replica that is gone is answered like an unknown one (404): the client starts a new session.
 */
export async function forwardedToOwner(
  ctx: ServerContext,
  kind: EndpointKind,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const cluster = ctx.cluster;
  if (!cluster || kind === "sse") return false;
  const id =
    kind === "messages"
      ? queryParam(req, "sessionId")
      : ctx.stateless
        ? undefined
        : header(req, "mcp-session-id");
  const route = await cluster.route(req, res, id, { maxBodySize: ctx.maxBodySize });
  if (route.kind === "gone") {
    const notFound = sessionNotFound();
    // Word for word what the owner would have said, the request's id included.
    // (A failed hop has read the body already.)
    throw req.method === "POST"
      ? withRequestId(notFound, await requestIdInBody(req, ctx.maxBodySize, route.body))
      : notFound;
  }
  return route.kind === "forwarded";
}
