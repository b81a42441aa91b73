// `--metrics`: the proxy's own numbers in the Prometheus text format at
// /metrics (behind the same auth as everything else), through prom-client.
// http-server reports each HTTP request and each session; the CLI adds its
// children. Labels take bounded values only: a client's unknown method is
// "other", so nobody can grow the registry by inventing names.
import type { RequestRecord, ServerMetrics, SessionInfo } from "@mcp-proxy/http-server";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Methods counted under their own name; anything else a client sends is "other". */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  "sampling/createMessage",
  "elicitation/create",
  "roots/list",
  "initialize",
  "ping",
  "server/discover",
  "subscriptions/listen",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "notification",
  "response",
  "GET",
  "POST",
  "DELETE",
  "OPTIONS",
]);

/** The protocol era a session's transport serves. */
const ERA: Readonly<Record<SessionInfo["transport"], string>> = {
  sse: "2024-11-05",
  "streamable-http": "2025",
  stateless: "2025",
  modern: "2026-07-28",
};

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"method" | "status">;
  readonly #duration: Histogram<"method">;
  readonly #upstream: Histogram<"method">;
  readonly #bytes: Counter<"direction">;
  readonly #refused: Counter<"reason">;
  readonly #forwarded: Counter<"status">;
  readonly #sessions: Gauge<"transport" | "era">;
  readonly #childrenStarted: Counter;
  readonly #childrenAlive: Gauge;
  readonly #childrenExited: Counter<"expected">;
  readonly #childrenRestarted: Counter;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "mcp_proxy_" });
    this.#requests = new Counter({
      name: "mcp_proxy_requests_total",
      help: "HTTP requests by JSON-RPC method (or HTTP method) and status",
      labelNames: ["method", "status"],
      registers,
    });
    this.#duration = new Histogram({
      name: "mcp_proxy_request_duration_seconds",
      help: "Time from a request's arrival to the end of its response, through the upstream",
      labelNames: ["method"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers,
    });
    this.#upstream = new Histogram({
      name: "mcp_proxy_upstream_latency_seconds",
      help: "Time the upstream (the child) took to answer a request, from its send to its response",
      labelNames: ["method"],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers,
    });
    this.#bytes = new Counter({
      name: "mcp_proxy_http_bytes_total",
      help: "Bytes of request bodies received (in) and of responses sent (out)",
      labelNames: ["direction"],
      registers,
    });
    this.#refused = new Counter({
      name: "mcp_proxy_refused_requests_total",
      help: "Requests the proxy refused, by error code",
      labelNames: ["reason"],
      registers,
    });
    this.#forwarded = new Counter({
      name: "mcp_proxy_forwarded_requests_total",
      help: "Requests sent on to the replica owning their session or parked round (--cluster), by the status it answered",
      labelNames: ["status"],
      registers,
    });
    this.#sessions = new Gauge({
      name: "mcp_proxy_sessions",
      help: "Open sessions and shared upstreams, by transport and protocol era",
      labelNames: ["transport", "era"],
      registers,
    });
    this.#childrenStarted = new Counter({
      name: "mcp_proxy_children_started_total",
      help: "Child processes started",
      registers,
    });
    this.#childrenAlive = new Gauge({
      name: "mcp_proxy_children_alive",
      help: "Child processes running",
      registers,
    });
    this.#childrenExited = new Counter({
      name: "mcp_proxy_children_exited_total",
      help: "Child processes that ended; expected: stopped by the proxy",
      labelNames: ["expected"],
      registers,
    });
    this.#childrenRestarted = new Counter({
      name: "mcp_proxy_children_restarted_total",
      help: "Restarts of a shared child scheduled by --restart on-failure",
      registers,
    });
  }

  /** The hook handed to startHTTPServer. */
  get server(): ServerMetrics {
    return {
      onRequest: (record) => this.#request(record),
      onUpstreamAnswer: (method, seconds) =>
        this.#upstream.observe({ method: KNOWN_METHODS.has(method) ? method : "other" }, seconds),
      scrape: async () => ({
        contentType: this.registry.contentType,
        body: await this.registry.metrics(),
      }),
    };
  }

  sessionOpened(info: SessionInfo): void {
    this.#sessions.inc({ transport: info.transport, era: ERA[info.transport] });
  }

  sessionClosed(info: SessionInfo): void {
    this.#sessions.dec({ transport: info.transport, era: ERA[info.transport] });
  }

  childStarted(): void {
    this.#childrenStarted.inc();
    this.#childrenAlive.inc();
  }

  childExited(expected: boolean): void {
    this.#childrenAlive.dec();
    this.#childrenExited.inc({ expected: String(expected) });
  }

  childRestarting(): void {
    this.#childrenRestarted.inc();
  }

  #request(record: RequestRecord): void {
    const method = KNOWN_METHODS.has(record.method) ? record.method : "other";
    this.#requests.inc({ method, status: String(record.status) });
    this.#duration.observe({ method }, record.seconds);
    if (record.bytesIn > 0) this.#bytes.inc({ direction: "in" }, record.bytesIn);
    if (record.bytesOut > 0) this.#bytes.inc({ direction: "out" }, record.bytesOut);
    if (record.refused) this.#refused.inc({ reason: record.refused });
    if (record.forwarded) this.#forwarded.inc({ status: String(record.status) });
  }
}
