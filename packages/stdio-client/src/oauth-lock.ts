// A lock file that lets one process at a time authorize against a server, so
// that the several `mcp-proxy stdio` processes a desktop client starts share
// one login instead of opening one browser each. Created exclusively; it names
// its holder (pid, host, start time), and a lock whose holder is gone (same
// host) or that is older than `staleAfter` is broken.
import { randomBytes } from "node:crypto";
import { link, open, readFile, rename, unlink } from "node:fs/promises";
import { hostname } from "node:os";

/** How often a waiting process looks at the lock again, ms. */
export const LOCK_POLL_INTERVAL_MS = 100;
/** A lock file that stays unreadable this long was left half written by a crash, ms. */
const UNREADABLE_STALE_MS = 10_000;

export interface LockHolder {
  pid: number;
  host: string;
  /** When the holder took the lock, ms since the epoch. */
  since: number;
  /** Tells this holding apart from a later one by the same process. */
  nonce: string;
}

export interface AcquireLockOptions {
  /** A lock held longer than this is taken to be abandoned, ms. */
  staleAfter: number;
  /** Called once, when the lock is held by another live process and we start waiting. */
  onWait?: (holder: LockHolder) => void;
}

/** Whether a process is running on this host (EPERM: it is, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(path, "utf8")) as LockHolder;
    return typeof holder.pid === "number" && typeof holder.nonce === "string" ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** A wait that does not keep the process alive by itself. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Breaks a stale lock: renaming it away succeeds for one breaker only. Had someone else's fresh
 * lock replaced the stale one in between, it is linked back (link refuses to overwrite).
 */
async function breakLock(path: string, stale: LockHolder): Promise<void> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.stale`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else broke or released it
  }
  const moved = await readHolder(aside);
  if (moved && moved.nonce !== stale.nonce) await link(aside, path).catch(() => {});
  await unlink(aside).catch(() => {});
}

/**
 * Takes the lock at `path`, waiting while another live process holds it. Resolves with the
 * function that releases it (idempotent; it removes the file only while it is still ours).
 */
export async function acquireLock(
  path: string,
  options: AcquireLockOptions,
): Promise<() => Promise<void>> {
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: Date.now(),
    nonce: randomBytes(8).toString("hex"),
  };
  let waited = false;
  let unreadableSince: number | undefined;
  for (;;) {
    me.since = Date.now();
    try {
      const file = await open(path, "wx", 0o600);
      try {
        await file.writeFile(JSON.stringify(me));
      } finally {
        await file.close();
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        const holder = await readHolder(path);
        if (holder?.nonce === me.nonce) await unlink(path).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readHolder(path);
    if (holder === undefined) {
      // Being written right now, or left half written by a crash: give it a moment, then break it.
      unreadableSince ??= Date.now();
      if (Date.now() - unreadableSince > Math.min(options.staleAfter, UNREADABLE_STALE_MS)) {
        await unlink(path).catch(() => {});
        unreadableSince = undefined;
        continue;
      }
    } else {
      unreadableSince = undefined;
      const gone = holder.host === me.host && holder.pid !== me.pid && !alive(holder.pid);
      if (gone || Date.now() - holder.since > options.staleAfter) {
        await breakLock(path, holder);
        continue;
      }
      if (!waited) {
        waited = true;
        options.onWait?.(holder);
      }
    }
    await sleep(LOCK_POLL_INTERVAL_MS);
  }
}
