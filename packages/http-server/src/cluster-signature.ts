// How replicas trust each other: a request one replica forwards to another
// carries an HMAC of who sent it, when, and what (method and path), under the
// cluster's shared secret. A client cannot make one without the secret, and a
// captured one is good for its own method and path for a minute at most.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";
import { CLUSTER_HEADER } from "./cluster-options.js";

/** How far a signature's time may be from this replica's clock. */
export const SIGNATURE_WINDOW_MS = 60_000;
const VERSION = "v1";

function mac(secret: string, replica: string, time: string, method: string, path: string): Buffer {
  return createHmac("sha256", secret)
    .update(`${VERSION}\n${replica}\n${time}\n${method}\n${path}`)
    .digest();
}

/** The header value that vouches for `method path` sent by `replica` now. */
export function signForward(
  secret: string,
  replica: string,
  method: string,
  path: string,
  now = Date.now(),
): string {
  const time = String(now);
  return `${VERSION};${replica};${time};${mac(secret, replica, time, method, path).toString("base64url")}`;
}

const forged = (why: string) =>
  new McpProxyError(ErrorCodes.FORBIDDEN, `Forbidden: invalid cluster signature (${why})`);

/**
 * The replica that signed `req`, or undefined when it carries no signature. A signature that
 * does not verify is refused (403): the header is never taken from outside the cluster.
 */
export function verifyForward(
  req: IncomingMessage,
  secret: string,
  now = Date.now(),
): string | undefined {
  const value = req.headers[CLUSTER_HEADER];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw forged("repeated");
  const [version, replica, time, signature, ...rest] = value.split(";");
  if (version !== VERSION || !replica || !time || !signature || rest.length > 0) {
    throw forged("malformed");
  }
  const at = Number(time);
  if (!Number.isSafeInteger(at) || Math.abs(now - at) > SIGNATURE_WINDOW_MS) {
    throw forged("expired");
  }
  const expected = mac(secret, replica, time, req.method ?? "", req.url ?? "");
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw forged("mismatch");
  }
  return replica;
}
