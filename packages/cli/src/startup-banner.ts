// What the proxy says on stderr when it is up: the URLs it serves, the mode,
// whether auth is on, and a loud warning when it is reachable from other
// machines without an API key (it runs a process on every client's behalf).
import { isLoopbackHost } from "@mcp-proxy/core/internal";
import type { ClusterInfo } from "@mcp-proxy/http-server";
import type { ServeConfig } from "./config.js";

const ALL_INTERFACES = new Set(["0.0.0.0", "::", "[::]", "", "0:0:0:0:0:0:0:0"]);

/** The startup lines; `baseUrl` is the bound URL without a path. */
export function startupLines(
  config: ServeConfig,
  baseUrl: string,
  label: string,
  version: string,
  /** With --cluster: this replica, and its registry's URL without a password. */
  replica?: ClusterInfo & { registry: string },
): string[] {
  const lines = [`mcp-proxy ${version} serving: ${label}`];
  if (config.streamEndpoint) lines.push(`  Streamable HTTP: ${baseUrl}${config.streamEndpoint}`);
  if (config.sseEndpoint) lines.push(`  SSE:             ${baseUrl}${config.sseEndpoint}`);
  lines.push(`  health:          ${baseUrl}/health (readiness), ${baseUrl}/ping (liveness)`);
  lines.push(`  mode:            ${modeOf(config)}`);
  if (config.streamEndpoint) {
    lines.push(
      `  eras:            ${config.modern ? `2025-era sessions and 2026-07-28 (stateless, shared children per capability profile, upstream: ${config.upstreamProtocol})` : "2025-era only (--no-modern)"}`,
    );
  }
  lines.push(`  auth:            ${authLine(config, baseUrl)}`);
  if (replica) {
    lines.push(
      `  cluster:         replica ${replica.id} at ${replica.url}, registry ${replica.registry}`,
    );
  }
  if (config.metrics) lines.push(`  metrics:         ${baseUrl}/metrics (Prometheus)`);
  if (config.logging.logFile) lines.push(`  traffic log:     ${config.logging.logFile}`);
  return lines;
}

function authLine(config: ServeConfig, baseUrl: string): string {
  if (config.apiKey) return "API key required (X-API-Key or Authorization: Bearer)";
  const oauth = config.oauth;
  if (!oauth) return "off";
  const audience = oauth.audience ?? `${baseUrl}${config.streamEndpoint ?? config.sseEndpoint}`;
  const scopes = oauth.scopes.length > 0 ? `, scope ${oauth.scopes.join(" ")}` : "";
  return `OAuth bearer tokens from ${oauth.issuers.join(", ")} for ${audience}${scopes}`;
}

function modeOf(config: ServeConfig): string {
  if (config.stateless) return "stateless (one shared child for all requests)";
  if (config.shared)
    return "stateful, shared (sessions share a child per capability profile, ids remapped)";
  return "stateful (one child per session)";
}

/** The warning box for a non-loopback bind without auth (`guard`: the API key or OAuth issuer), or undefined. */
export function exposureWarning(host: string, guard: string | undefined): string[] | undefined {
  if (guard || isLoopbackHost(host)) return undefined;
  const where = ALL_INTERFACES.has(host.toLowerCase())
    ? `ALL interfaces (${host || "unspecified"})`
    : host;
  const bar = "!".repeat(78);
  return [
    bar,
    `!! WARNING: listening on ${where} WITHOUT an API key.`,
    "!! Anyone who can reach this port can use the server, and through it run whatever",
    "!! it can do on this machine. Set --apiKey (or MCP_PROXY_API_KEY), --oauthIssuer, or --host 127.0.0.1.",
    bar,
  ];
}
