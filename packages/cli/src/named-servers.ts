// `--config`: each server of the file as a named server of startHTTPServer.
// A stdio server gets its own supervision (restart policy, health), a child per
// session or a shared one (SharedUpstream, as --shared), the request timeout and
// the tool filters; a remote one goes through stdio-client's transports. SIGHUP
// rereads the file: added servers start, removed ones drain, changed ones are
// replaced, unchanged ones keep their sessions. A changed `separator` is refused
// (logged, the old one kept): aggregate sessions already hold names made with it.
import type { ChildExitInfo, Logger } from "@mcp-proxy/core";
import { SharedUpstream } from "@mcp-proxy/core";
import {
  DEFAULT_AGGREGATE_SEPARATOR,
  type HTTPServerHandle,
  type NamedServerOptions,
} from "@mcp-proxy/http-server";
import { AutoClientTransport, StreamableHttpClientTransport } from "@mcp-proxy/stdio-client";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { createChildTransport, describeExit } from "./child.js";
import type { ChildConfig, RestartPolicy } from "./config.js";
import { childEnvironment } from "./env-vars.js";
import { checkCommand } from "./preflight.js";
import { withRequestTimeouts } from "./request-timeout.js";
import { loadServersFile, type ServerEntry, type ServersFile } from "./server-config.js";
import { Supervisor } from "./supervisor.js";
import { filterTools } from "./tool-filter.js";

/** What the proxy-wide flags give every server that does not set its own. */
export interface NamedServerDefaults {
  requestTimeout: number;
  connectionTimeout: number;
  restart: RestartPolicy;
  killGracePeriodMs: number;
  /** Wraps each upstream (the traffic log); identity when off. */
  wrap: (transport: Transport, label: string) => Transport;
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
}

/** A running named server: its options for startHTTPServer and what it owns. */
export interface NamedServerRuntime {
  entry: ServerEntry;
  /** The entry as compared on reload. */
  fingerprint: string;
  options: NamedServerOptions;
  close(): Promise<void>;
}

export function createNamedServer(
  entry: ServerEntry,
  defaults: NamedServerDefaults,
): NamedServerRuntime {
  const fingerprint = JSON.stringify(entry);
  const { logger } = defaults;
  const timeouts = {
    requestTimeout: entry.requestTimeout ?? defaults.requestTimeout,
    connectionTimeout: defaults.connectionTimeout,
  };
  // Per-session upstreams stop with their session: the idle timeout is this server's session timeout.
  const sessionTimeout =
    entry.idleTimeout !== undefined && !entry.shared ? { sessionTimeout: entry.idleTimeout } : {};
  const finish = (transport: Transport, sessionId: string | undefined) =>
    defaults.wrap(
      filterTools(withRequestTimeouts(transport, timeouts), entry),
      `${entry.name}/${sessionId ?? "shared"}`,
    );

  if (entry.url !== undefined) {
    const url = entry.url;
    let lastFailure: string | undefined;
    return {
      entry,
      fingerprint,
      options: {
        createUpstream: ({ sessionId }) => {
          const options = { headers: entry.headers, logger };
          const transport =
            entry.transport === "stream"
              ? new StreamableHttpClientTransport(url, options)
              : new AutoClientTransport(url, entry.transport, options);
          const start = transport.start.bind(transport);
          transport.start = async () => {
            try {
              await start();
              lastFailure = undefined;
            } catch (error) {
              lastFailure = error instanceof Error ? error.message : String(error);
              throw error;
            }
          };
          return finish(transport, sessionId);
        },
        health: () =>
          lastFailure === undefined
            ? { ok: true, detail: { remote: new URL(url).origin } }
            : { ok: false, detail: { remote: new URL(url).origin, lastFailure } },
        ...sessionTimeout,
      },
      close: async () => undefined,
    };
  }

  const child: ChildConfig = {
    command: entry.command as string,
    args: entry.args,
    shell: false,
    ...(entry.cwd ? { cwd: entry.cwd } : {}),
    // As desktop clients do: the proxy's environment, then the entry's `env`.
    env: childEnvironment(defaults.env, { passEnvironment: true, extra: entry.env }),
  };
  const single = entry.stateless || entry.shared;
  const supervisor = new Supervisor(entry.restart ?? defaults.restart, single);
  try {
    checkCommand(child);
  } catch (error) {
    // Reported as unhealthy and logged; the other servers start anyway.
    const message = error instanceof Error ? error.message : String(error);
    supervisor.spawnFailed(message);
    logger.warn(`server "${entry.name}": ${message}`);
  }

  const spawn = (sessionId: string | undefined, shared: boolean): Transport => {
    let ranFor: () => number | undefined = () => undefined;
    const transport = createChildTransport(child, {
      killGracePeriodMs: defaults.killGracePeriodMs,
      onExit: (info: ChildExitInfo) => {
        const decision = supervisor.exited(info, ranFor() ?? 0, shared);
        if (info.expected) return;
        if (decision?.action === "restart") {
          logger.warn(
            `server "${entry.name}": the server ${describeExit(info)}; restarting it in ${decision.delayMs} ms`,
          );
        } else if (decision) {
          // Never the proxy's end: the other servers keep serving; a later request starts it again.
          logger.error(`server "${entry.name}": the server ${describeExit(info)}`);
        } else logger.warn(`server "${entry.name}": the server ${describeExit(info)}`);
      },
      onNoise: (line) =>
        logger.debug("skipped a non-JSON line on the server's stdout", {
          server: entry.name,
          line: line.slice(0, 200),
        }),
    });
    ranFor = supervisor.watchStart(transport, shared, () => {
      supervisor.recovered();
      logger.debug(
        `server "${entry.name}": started pid ${transport.pid}${sessionId ? ` for session ${sessionId}` : ""}`,
      );
    });
    return transport;
  };

  const sharedUpstream = entry.shared
    ? new SharedUpstream({
        createTransport: () => spawn(undefined, true),
        logger,
        ...(entry.idleTimeout !== undefined ? { idleTimeoutMs: entry.idleTimeout } : {}),
      })
    : undefined;
  return {
    entry,
    fingerprint,
    options: {
      createUpstream: ({ sessionId }) =>
        finish(
          sharedUpstream && sessionId !== undefined
            ? sharedUpstream.connect()
            : spawn(sessionId, sessionId === undefined || entry.stateless),
          sessionId,
        ),
      ...(entry.stateless ? { stateless: true } : {}),
      ...sessionTimeout,
      health: () => supervisor.health(),
    },
    close: async () => {
      await sharedUpstream?.close();
    },
  };
}

/**
 * The servers of `file` on a started handle, and SIGHUP reloads of it. The initial set
 * is passed to startHTTPServer by the caller (`initial`).
 */
export class NamedServerSet {
  readonly #file: string;
  readonly #defaults: NamedServerDefaults;
  #runtimes = new Map<string, NamedServerRuntime>();
  /** Fixed at start: open aggregate sessions' clients hold names made with it. */
  readonly #separator: string;
  #handle: HTTPServerHandle | undefined;
  #reloading: Promise<void> = Promise.resolve();

  constructor(file: string, defaults: NamedServerDefaults, loaded: ServersFile) {
    this.#file = file;
    this.#defaults = defaults;
    this.#separator = loaded.separator ?? DEFAULT_AGGREGATE_SEPARATOR;
    for (const entry of loaded.servers) {
      this.#runtimes.set(entry.name, createNamedServer(entry, defaults));
    }
  }

  /** startHTTPServer's `servers`. */
  get options(): Record<string, NamedServerOptions> {
    return Object.fromEntries([...this.#runtimes].map(([name, r]) => [name, r.options]));
  }

  attach(handle: HTTPServerHandle): void {
    this.#handle = handle;
  }

  /** Rereads the file; a file that no longer validates leaves everything as it is. */
  reload(): Promise<void> {
    this.#reloading = this.#reloading.then(() => this.#reload());
    return this.#reloading;
  }

  async #reload(): Promise<void> {
    const handle = this.#handle;
    if (!handle) return;
    const { logger } = this.#defaults;
    let loaded: ServersFile;
    try {
      loaded = loadServersFile(this.#file, this.#defaults.env);
    } catch (error) {
      logger.error(
        `reload: ${error instanceof Error ? error.message : String(error)}; keeping the servers as they are`,
      );
      return;
    }
    const separator = loaded.separator ?? DEFAULT_AGGREGATE_SEPARATOR;
    if (separator !== this.#separator) {
      logger.warn(
        `reload: "separator" changed to ${JSON.stringify(separator)}; it applies on restart only, keeping ${JSON.stringify(this.#separator)}`,
      );
    }
    const next = new Map(loaded.servers.map((entry) => [entry.name, entry]));
    const removals: Promise<void>[] = [];
    for (const [name, runtime] of this.#runtimes) {
      const entry = next.get(name);
      if (entry && JSON.stringify(entry) === runtime.fingerprint) continue;
      this.#runtimes.delete(name);
      logger.info(`reload: ${entry ? "replacing" : "removing"} server "${name}"`);
      removals.push(handle.servers.remove(name).finally(() => runtime.close()));
    }
    await Promise.all(removals);
    for (const [name, entry] of next) {
      if (this.#runtimes.has(name)) continue;
      const runtime = createNamedServer(entry, this.#defaults);
      this.#runtimes.set(name, runtime);
      logger.info(`reload: starting server "${name}"`);
      await handle.servers.add(name, runtime.options);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#runtimes.values()].map((r) => r.close()));
  }
}

/** The startup lines naming each server's routes. */
export function namedServerLines(handle: HTTPServerHandle): string[] {
  return [
    `  servers:         ${handle.url}/servers (list and status)`,
    ...handle.servers
      .names()
      .map(
        (name) =>
          `    ${name}: ${handle.url}/servers/${name}/mcp, ${handle.url}/servers/${name}/sse`,
      ),
  ];
}
