// Process-group bookkeeping. Children are spawned detached, each leading its
// own group, so one signal reaches every grandchild (npx -> node -> server).
// A last-chance exit hook kills every group still alive if the proxy itself
// exits without closing its transports.

const liveGroups = new Set<number>();
let hookInstalled = false;

function killAllOnExit(): void {
  for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
}

export function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (!hookInstalled) {
    hookInstalled = true;
    process.on("exit", killAllOnExit);
  }
}

export function untrackGroup(pid: number): void {
  liveGroups.delete(pid);
}

/** Signals the whole group led by `pid`; falls back to the pid alone. Never throws. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  if (process.platform !== "win32") {
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      // No such group (already gone) or not a group leader: try the pid itself.
    }
  }
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of the group led by `pid` is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(process.platform === "win32" ? pid : -pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
