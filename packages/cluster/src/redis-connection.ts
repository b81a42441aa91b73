// The Redis connection a registry or event store opens from a URL: commands
// fail within a bound while Redis is down instead of queueing forever, and
// connection errors are logged (throttled, password redacted) instead of
// reaching ioredis's default, which prints every one of them to stderr.
import type { Logger } from "@mcp-proxy/core";
import { Redis } from "ioredis";
import { errorText } from "./errors.js";
import { LogThrottle } from "./log-throttle.js";
import { redactUrl } from "./redact-url.js";

/** How long one connection attempt may take (a host that drops packets never refuses). */
export const CONNECT_TIMEOUT_MS = 3_000;
/** How long one command may wait for its reply, queued while reconnecting included. */
export const COMMAND_TIMEOUT_MS = 2_000;
/** Reconnect attempts a queued command waits through before it fails. */
const MAX_RETRIES_PER_REQUEST = 2;
/** Reconnects back off by 100 ms per attempt up to this, so a restarted Redis is found soon. */
const MAX_RECONNECT_DELAY_MS = 1_000;

/** Opens a connection to `url` (redis:// or rediss://); `role` names its owner in log lines. */
export function connectRedis(url: string, logger: Logger, role: string): Redis {
  const redacted = checkUrl(url, role);
  const client = new Redis(url, {
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    // Commands sent before the first connect (a publish right after construction) or during a
    // short reconnect wait for it; the two bounds above keep that wait short when Redis is down.
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
  const throttle = new LogThrottle();
  client.on("error", (error: Error) => {
    throttle.failed((skipped) =>
      logger.warn(`${role}: Redis connection failed; reconnecting`, {
        url: redacted,
        error: errorText(error),
        ...(skipped > 0 ? { failuresNotLogged: skipped } : {}),
      }),
    );
  });
  client.on("ready", () =>
    throttle.recovered(() => logger.info(`${role}: Redis connection restored`, { url: redacted })),
  );
  return client;
}

/** Quits `client`, waiting for its replies when connected; drops it at once when not. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === "end") return;
  if (client.status !== "ready") {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** Refuses a URL ioredis would misread (http://…, a bare word) before it is dialled. */
function checkUrl(url: string, role: string): string {
  const redacted = redactUrl(url);
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // reported below
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new TypeError(
      `${role}: url must be redis://[user:password@]host:port[/db] or rediss://…, got ${redacted}`,
    );
  }
  return redacted;
}
