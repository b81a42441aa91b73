// DNS-rebinding defence: validate Origin on every request, and Host when bound
// to loopback (a foreign Host is how a rebinding attack arrives).
// Spec: basic/transports#security-warning (servers MUST validate Origin).
import type { IncomingMessage } from "node:http";
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";
import { isLoopbackHost } from "@mcp-proxy/core/internal";
import { corsOriginNamed } from "./cors.js";
import type { StartHTTPServerOptions } from "./options.js";

/** The Host (and Origin) names a loopback bind answers to, exactly: not every 127.x address. */
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Strips the port: "localhost:8080" -> "localhost", "[::1]:80" -> "[::1]". */
function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith("[")) {
    const end = hostHeader.indexOf("]");
    return end === -1 ? hostHeader : hostHeader.slice(0, end + 1);
  }
  const colon = hostHeader.indexOf(":");
  return (colon === -1 ? hostHeader : hostHeader.slice(0, colon)).toLowerCase();
}

export interface OriginHostPolicy {
  /** Host and Origin: every request that reaches MCP. */
  check(req: IncomingMessage): void;
  /** Host only: for public documents any site may read (OAuth protected resource metadata). */
  checkHost(req: IncomingMessage): void;
}

export function createOriginHostPolicy(
  options: StartHTTPServerOptions,
  boundHost: string,
): OriginHostPolicy {
  const loopback = isLoopbackHost(boundHost);
  const allowedOrigins = options.allowedOrigins;
  // Naming origins for CORS (a list, one origin, a predicate, "*") says browsers there may call:
  // the Origin check trusts the same origins, unless allowedOrigins decides on its own.
  const corsOrigin =
    allowedOrigins === undefined && typeof options.cors === "object"
      ? options.cors.origin
      : undefined;
  const allowedHosts = options.allowedHosts;
  const extraHosts = new Set(
    Array.isArray(allowedHosts) ? allowedHosts.map((h) => h.toLowerCase()) : [],
  );

  const hostOk = (host: string | undefined): boolean => {
    if (!loopback || allowedHosts === "*") return true;
    if (!host) return false;
    const name = hostnameOf(host);
    return LOOPBACK_NAMES.has(name) || extraHosts.has(name) || extraHosts.has(host.toLowerCase());
  };

  const originOk = (origin: string, host: string | undefined): boolean => {
    if (allowedOrigins === "*") return true;
    if (typeof allowedOrigins === "function")
      return corsOriginNamed(allowedOrigins, origin) === true;
    if (allowedOrigins?.includes(origin)) return true;
    if (corsOriginNamed(corsOrigin, origin)) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    // Same-origin requests are never cross-site.
    if (host && url.host.toLowerCase() === host.toLowerCase()) return true;
    return (
      allowedOrigins === undefined && loopback && LOOPBACK_NAMES.has(url.hostname.toLowerCase())
    );
  };

  const checkHost = (req: IncomingMessage): void => {
    const host = req.headers.host;
    if (!hostOk(host)) {
      throw new McpProxyError(
        ErrorCodes.FORBIDDEN_HOST,
        `Forbidden: Host "${host ?? ""}" is not allowed`,
      );
    }
  };

  return {
    checkHost,
    check(req) {
      checkHost(req);
      const host = req.headers.host;
      const origin = req.headers.origin;
      // No Origin header: not a browser cross-origin request.
      if (origin !== undefined && !originOk(origin, host)) {
        throw new McpProxyError(
          ErrorCodes.FORBIDDEN_ORIGIN,
          `Forbidden: Origin "${origin}" is not allowed`,
        );
      }
    },
  };
}
