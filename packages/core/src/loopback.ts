// Which hosts only this machine can reach: http-server's Host check guards a loopback bind,
// OAuth issuers may use plain http only there, and the CLI warns about any other bind without
// auth. One list, so that the three agree.
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]", "::ffff:127.0.0.1"]);

/** True for a host name or address (any case, IPv6 bracketed or not) only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || h.startsWith("127.");
}
