// Redis URLs carry their password (redis://user:pass@host). Whatever prints or
// logs one, this package and the CLI alike, goes through redactUrl first.

const MASK = "***";

/**
 * `url` with its password (and any `password` query parameter) replaced by `***`; the user,
 * host, port and database stay readable. Text that is not a URL is masked from `//` up to the
 * last `@`, so even a malformed URL leaks no secret.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/(\/\/)[^/]*@/, `$1${MASK}@`);
  }
  if (parsed.password) parsed.password = MASK;
  else if (parsed.username && parsed.protocol.startsWith("redis")) {
    // redis-cli (and ioredis before 5) read a lone `redis://secret@host` user part as the password.
    parsed.username = MASK;
  }
  if (parsed.searchParams.has("password")) parsed.searchParams.set("password", MASK);
  return parsed.toString();
}
