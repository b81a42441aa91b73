// Which bind addresses and hosts only this machine can reach: the banner warns about the
// others without auth, and OAuth issuers may use plain http only on these.
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** True for hosts only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_HOSTS.has(h) || h.startsWith("127.");
}
