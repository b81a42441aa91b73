// The hook through which an embedder measures the server (the CLI serves it
// as Prometheus text at /metrics): one record per HTTP request as it ends, and
// an exposition served with GET at `path`, behind the server's auth. Nothing is
// observed, and the hot path pays nothing, when no hook is given.
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** One HTTP request, as it ended. */
export interface RequestRecord {
  /**
   * What was asked: the JSON-RPC method of a POST's first request ("notification" or "response"
   * when it carried none), else the HTTP method and path kind ("GET", "DELETE", "OPTIONS").
   */
  method: string;
  /** The HTTP status sent (0 when the client went away before one was). */
  status: number;
  /** From the request's arrival to the end of its response: a streamed call's whole duration. */
  seconds: number;
  /** Request body bytes read. */
  bytesIn: number;
  /** Bytes written on the connection for the response. */
  bytesOut: number;
  /** The proxy's refusal code (e.g. `ERR_UNAUTHORIZED`, `ERR_BODY_TOO_LARGE`), when it refused. */
  refused?: string;
  /**
   * True when this replica sent the request on to the one owning its session or parked round
   * (the `cluster` option), whose answer it relayed; `method` is then the HTTP method unless the
   * body had been read here.
   */
  forwarded?: true;
}

export interface ServerMetrics {
  /** Called once per HTTP request, after its response ended or its connection closed. */
  onRequest(record: RequestRecord): void;
  /**
   * Called with each request an upstream answered and how long it took, timed at the upstream
   * transport (the proxy's own time left out). Optional: without it upstreams are not wrapped
   * (with it, the `upstream` reported to onConnect/onClose is the timing wrapper around yours).
   */
  onUpstreamAnswer?(method: string, seconds: number): void;
  /** Serves GET at `path`: the exposition and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Where the exposition is served. Default {@link DEFAULT_METRICS_PATH}. */
  path?: string;
}

export const DEFAULT_METRICS_PATH = "/metrics";

interface Noted {
  method?: string;
  bytesIn?: number;
  refused?: string;
  forwarded?: true;
}

const noted = new WeakMap<IncomingMessage, Noted>();

/** Records what a POST carried (called by the handlers once the body is parsed). */
export function noteBody(req: IncomingMessage, bytes: number, messages: JSONRPCMessage[]): void {
  const first = messages[0] as { method?: unknown; id?: unknown } | undefined;
  const method =
    typeof first?.method === "string"
      ? first.method
      : first?.id !== undefined
        ? "response"
        : "notification";
  noted.set(req, { ...noted.get(req), method, bytesIn: bytes });
}

/** Records the code of a refusal. */
export function noteRefusal(req: IncomingMessage, code: string): void {
  noted.set(req, { ...noted.get(req), refused: code });
}

/** Records that another replica answered the request (see RequestRecord.forwarded). */
export function noteForward(req: IncomingMessage): void {
  noted.set(req, { ...noted.get(req), forwarded: true });
}

/** Reports `req` to `metrics` when its response is over. */
export function observe(req: IncomingMessage, res: ServerResponse, metrics: ServerMetrics): void {
  const started = performance.now();
  const socket = req.socket;
  const written = socket.bytesWritten;
  res.once("close", () => {
    const note = noted.get(req);
    const record: RequestRecord = {
      method: note?.method ?? req.method ?? "?",
      status: res.headersSent ? res.statusCode : 0,
      seconds: (performance.now() - started) / 1000,
      bytesIn: note?.bytesIn ?? 0,
      bytesOut: Math.max(0, socket.bytesWritten - written),
    };
    if (note?.refused) record.refused = note.refused;
    if (note?.forwarded) record.forwarded = true;
    try {
      metrics.onRequest(record);
    } catch {
      // A metrics hook that throws must not take a request down.
    }
  });
}
