// One hop between replicas: a request is sent on to the replica that owns its
// session or parked round, its body and the answer streamed both ways (an SSE
// stream stays open through it), headers kept but for the hop-by-hop ones.
// Forwarding fails as a whole only before the owner answers: then the caller
// decides (404 for a session whose replica is gone); after that, an error ends
// the response, as a dropped connection would.
import http, {
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import https from "node:https";
import { CLUSTER_HEADER } from "./cluster-options.js";

/** RFC 9110 7.6.1: headers that describe one connection, never forwarded. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

export interface ForwardTarget {
  /** The owner's base URL. */
  url: string;
  /** The signature header's value for this request. */
  signature: string;
  /** What this replica adds to Via (`1.1 <via>`). */
  via: string;
  /** A body already read (and so no longer in `req`); else `req` is streamed. */
  body?: Buffer;
  /** The most of a streamed body kept to answer or resend a failed hop. */
  maxBodySize: number;
  /** Told when the owner's answer begins (the hop succeeded). */
  onAnswer?: () => void;
  connectTimeoutMs: number;
}

/** The owner could not be reached; nothing was written to the response. */
export class OwnerUnreachableError extends Error {
  override readonly name = "OwnerUnreachableError";
  /** The request's body as far as it was read, so that it can still be answered or sent on. */
  body: Buffer | undefined;
}

/** Keep-alive pools: a hop must not cost a TCP handshake per call. */
export interface ForwardAgents {
  http: http.Agent;
  https: https.Agent;
}

/**
 * Idle pooled sockets are dropped after this long, well before a replica's own keep-alive
 * timeout (5 s by default) closes them from its side: a request sent on a socket the owner is
 * closing fails, and the client would lose its session to a 404.
 */
const FREE_SOCKET_TIMEOUT_MS = 2000;

export function createForwardAgents(ca: string | Buffer | undefined): ForwardAgents {
  const pool = { keepAlive: true, timeout: FREE_SOCKET_TIMEOUT_MS };
  return {
    http: new http.Agent(pool),
    https: new https.Agent({ ...pool, ...(ca !== undefined ? { ca } : {}) }),
  };
}

function forwardedHeaders(req: IncomingMessage, target: ForwardTarget): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  // A header naming others as hop-by-hop (Connection: foo) makes foo hop-by-hop too.
  const connection = new Set(
    String(req.headers.connection ?? "")
      .toLowerCase()
      .split(",")
      .map((h) => h.trim()),
  );
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connection.has(name)) continue;
    headers[name] = value;
  }
  headers[CLUSTER_HEADER] = target.signature;
  headers.via = appendVia(req.headers.via, target.via);
  const client = req.socket.remoteAddress;
  if (client) {
    const prior = req.headers["x-forwarded-for"];
    headers["x-forwarded-for"] = prior ? `${prior}, ${client}` : client;
  }
  if (target.body) {
    headers["content-length"] = String(target.body.length);
  }
  return headers;
}

const appendVia = (prior: string | undefined, via: string) =>
  prior ? `${prior}, 1.1 ${via}` : `1.1 ${via}`;

/**
 * Sends `req` to the owner and streams its answer into `res`. Rejects with
 * OwnerUnreachableError when no answer began (nothing written); resolves once the answer ended
 * or either side went away.
 */
export async function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: ForwardTarget,
  agents: ForwardAgents,
): Promise<void> {
  // What of a streamed body went out, kept (by reference) until an answer begins: a failed hop
  // can then still be answered with the request's id, or sent again.
  const sent: Buffer[] = [];
  try {
    await forwardOnce(req, res, target, agents, sent);
  } catch (error) {
    const stale = error instanceof StaleSocketError;
    const unreachable = stale ? error.cause : error;
    if (!(unreachable instanceof OwnerUnreachableError)) throw error;
    unreachable.body = target.body ?? (await recoverBody(req, sent, target.maxBodySize));
    // Once more when a pooled socket failed before any answer (the pool may hold more stale
    // ones, so a second failure of either kind is final).
    if (!stale || unreachable.body === undefined) throw unreachable;
    try {
      await forwardOnce(req, res, { ...target, body: unreachable.body }, agents, []);
    } catch (again) {
      const final = again instanceof StaleSocketError ? again.cause : again;
      if (final instanceof OwnerUnreachableError) final.body = unreachable.body;
      throw final;
    }
  }
}

/** A pooled socket failed before the owner answered; the cause is the error to report. */
class StaleSocketError extends Error {}

/** The body a failed hop took from `req` and what is left in it; undefined past the limit. */
async function recoverBody(
  req: IncomingMessage,
  sent: Buffer[],
  maxBodySize: number,
): Promise<Buffer | undefined> {
  req.unpipe();
  const chunks = [...sent];
  let size = chunks.reduce((n, c) => n + c.length, 0);
  if (!req.readableEnded) {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBodySize) return undefined;
      chunks.push(chunk);
    }
  }
  return size > maxBodySize ? undefined : Buffer.concat(chunks);
}

function forwardOnce(
  req: IncomingMessage,
  res: ServerResponse,
  target: ForwardTarget,
  agents: ForwardAgents,
  sent: Buffer[],
): Promise<void> {
  const url = new URL(req.url ?? "/", target.url);
  const secure = url.protocol === "https:";
  return new Promise<void>((resolve, reject) => {
    const keep = (chunk: Buffer) => sent.push(chunk);
    let answered = false;
    const outgoing = (secure ? https : http).request(url, {
      method: req.method,
      headers: forwardedHeaders(req, target),
      agent: secure ? agents.https : agents.http,
    });
    // Connecting is bounded; once connected, the owner's own limits apply.
    const connectTimer = setTimeout(
      () => outgoing.destroy(new OwnerUnreachableError("connect timeout")),
      target.connectTimeoutMs,
    );
    connectTimer.unref?.();
    outgoing.on("socket", (socket) => {
      if (!socket.connecting) clearTimeout(connectTimer);
      else socket.once("connect", () => clearTimeout(connectTimer));
    });
    outgoing.on("response", (answer) => {
      answered = true;
      target.onAnswer?.();
      sent.length = 0;
      req.off("data", keep);
      clearTimeout(connectTimer);
      const headers: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      headers.via = appendVia(answer.headers.via, target.via);
      res.writeHead(answer.statusCode ?? 502, headers);
      // An event stream's headers go at once (its first event may be long in coming); any other
      // answer's go with its body, in one write.
      if (String(answer.headers["content-type"]).startsWith("text/event-stream"))
        res.flushHeaders();
      answer.pipe(res);
      answer.on("error", () => res.destroy());
      answer.on("end", () => resolve());
    });
    outgoing.on("error", (error) => {
      clearTimeout(connectTimer);
      if (!answered) {
        const unreachable =
          error instanceof OwnerUnreachableError
            ? error
            : new OwnerUnreachableError(error.message, { cause: error });
        reject(
          outgoing.reusedSocket
            ? new StaleSocketError("stale", { cause: unreachable })
            : unreachable,
        );
        return;
      }
      res.destroy();
      resolve();
    });
    // The client went away: so does the hop (the owner sees its stream close).
    res.on("close", () => {
      if (!res.writableFinished) outgoing.destroy();
      resolve();
    });
    if (target.body) outgoing.end(target.body);
    else if (req.readableEnded) outgoing.end();
    else {
      req.on("data", keep);
      req.pipe(outgoing);
    }
  });
}
