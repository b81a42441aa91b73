// One HTTP exchange over node:http with a keep-alive agent, the body read whole.
// Deliberately minimal so that client cost stays small next to the proxy's.
import { Agent, type IncomingHttpHeaders, request } from "node:http";

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A keep-alive agent without a socket cap: each sequential session keeps its own socket. */
export function keepAliveAgent(): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: Number.POSITIVE_INFINITY,
    keepAliveMsecs: 10_000,
  });
}

export function httpRequest(
  agent: Agent,
  method: string,
  url: URL,
  headers: Record<string, string>,
  body?: string,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        method,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers:
          body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body:
              chunks.length === 1
                ? chunks[0]!.toString("utf8")
                : Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The JSON-RPC messages in an SSE body (`data:` lines of each event). */
export function sseMessages(body: string): unknown[] {
  const messages: unknown[] = [];
  for (const event of body.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5))
      .join("\n");
    if (data) messages.push(JSON.parse(data));
  }
  return messages;
}
