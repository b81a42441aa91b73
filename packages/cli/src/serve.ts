// The main mode: a stdio MCP server on HTTP. Each session gets its own child
// (--stateless: one shared child; --shared: sessions on one child), bridged at the transport level by
// http-server. This file only composes: config -> startHTTPServer options,
// startup lines, supervision and shutdown.
import type { ChildExitInfo } from "@mcp-proxy/core";
import { createStderrLogger, SharedUpstream } from "@mcp-proxy/core";
import {
  DEFAULT_CORS_ALLOWED_HEADERS,
  type HTTPServerHandle,
  InMemoryEventStore,
  type StartHTTPServerOptions,
  startHTTPServer,
} from "@mcp-proxy/http-server";
import { tapTransport } from "@mcp-proxy/tap";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { commandLabel, createChildTransport, describeExit } from "./child.js";
import type { ServeConfig } from "./config.js";
import { unknownEnvVars } from "./env-vars.js";
import { SERVE_FLAGS, STDIO_FLAGS, TAP_FLAGS } from "./flags.js";
import { packageVersion } from "./help.js";
import { ProxyMetrics } from "./metrics.js";
import { NamedServerSet, namedServerLines } from "./named-servers.js";
import { checkCommand, checkReadable } from "./preflight.js";
import { withRequestTimeouts } from "./request-timeout.js";
import { loadServersFile } from "./server-config.js";
import { handleShutdownSignals } from "./signals.js";
import { exposureWarning, startupLines } from "./startup-banner.js";
import { Supervisor } from "./supervisor.js";
import { openTrafficLog } from "./traffic-log.js";

/** Runs the proxy until a signal or the shared child ends it; resolves with the exit code. */
export async function runServe(
  config: ServeConfig,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const logger = createStderrLogger(config.logging.logLevel);
  for (const name of unknownEnvVars(env, [...SERVE_FLAGS, ...STDIO_FLAGS, ...TAP_FLAGS])) {
    logger.warn(`ignoring unknown environment variable ${name}`);
  }
  const command = config.child;
  if (command) checkCommand(command);
  const serversFile = config.configFile ? loadServersFile(config.configFile, env) : undefined;
  checkReadable("--sslCa", config.sslCa);
  checkReadable("--sslCert", config.sslCert);
  checkReadable("--sslKey", config.sslKey);

  const log = openTrafficLog({
    human: config.logging.debug,
    ...(config.logging.logFile ? { file: config.logging.logFile } : {}),
  });
  const supervisor = new Supervisor(config.restart, config.stateless || config.shared);
  const metrics = config.metrics ? new ProxyMetrics() : undefined;
  const label = command ? commandLabel(command) : `the servers of ${config.configFile}`;
  // Each step of the child's close ladder (stdin end, SIGTERM, SIGKILL) gets a share of the budget.
  const killGracePeriodMs = Math.max(
    100,
    Math.min(2000, Math.floor(config.gracefulShutdownTimeout / 4)),
  );

  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let handle: HTTPServerHandle | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await handle?.close();
      await shared?.close();
      await named?.close();
      await log.close();
    })();
    return stopping;
  };

  const named =
    config.configFile && serversFile
      ? new NamedServerSet(
          config.configFile,
          {
            requestTimeout: config.requestTimeout,
            connectionTimeout: config.connectionTimeout,
            restart: config.restart,
            killGracePeriodMs,
            wrap: (transport, name) =>
              log.enabled ? (tapTransport(transport, log.observer(name)) as Transport) : transport,
            env,
            logger,
          },
          serversFile,
        )
      : undefined;

  const onSharedExit = (info: ChildExitInfo, ranForMs: number) => {
    const decision = supervisor.exited(info, ranForMs, true);
    if (!decision) return;
    if (decision.action === "restart") {
      metrics?.childRestarting();
      logger.warn(
        `the server ${describeExit(info)}; restarting it in ${decision.delayMs} ms (--restart on-failure)`,
      );
      return;
    }
    logger.error(`the server ${describeExit(info)}; exiting with code ${decision.code}`);
    void withTimeout(stop(), config.gracefulShutdownTimeout).finally(() => finish(decision.code));
  };

  /**
   * Spawns a child. `single`: it is the proxy's one upstream (--stateless, --shared, and the
   * modern gateway's), whose death the supervisor handles; otherwise it belongs to one session.
   */
  const spawnChild = (sessionId: string | undefined, single: boolean): Transport => {
    let ranFor: () => number | undefined = () => undefined;
    if (!command) throw new Error("internal: no command to spawn");
    const child = createChildTransport(command, {
      killGracePeriodMs,
      onExit: (info) => {
        const ran = ranFor();
        // Counted only for a child that started (a failed spawn never did).
        if (ran !== undefined) metrics?.childExited(info.expected);
        const ms = ran ?? 0;
        if (single) onSharedExit(info, ms);
        else {
          supervisor.exited(info, ms, false);
          if (!info.expected) logger.warn(`session ${sessionId}: the server ${describeExit(info)}`);
        }
      },
      onNoise: (line) =>
        logger.debug("skipped a non-JSON line on the server's stdout", {
          line: line.slice(0, 200),
        }),
    });
    ranFor = supervisor.watchStart(child, single, () => {
      metrics?.childStarted();
      logger.debug(
        `started ${label} (pid ${child.pid})${sessionId ? ` for session ${sessionId}` : ""}`,
      );
      onFirstMessage(child, () => supervisor.recovered());
    });
    return child;
  };

  // --shared: every 2025-era session is a virtual transport on a shared child, one child per client
  // capability profile (so the server sees exactly what the session's client declared). The gateway for
  // 2026-07-28 clients (sessionId undefined) gets a child of its own, as with --stateless: its
  // long-lived calls (parked input_required ones) would otherwise leave the sessions' server
  // requests and logs with more than one call in flight to belong to.
  const shared = config.shared
    ? new SharedUpstream({
        createTransport: () => spawnChild(undefined, true),
        logger,
        ...(config.maxUpstreams !== undefined ? { maxUpstreams: config.maxUpstreams } : {}),
      })
    : undefined;

  const createUpstream: StartHTTPServerOptions["createUpstream"] = ({ sessionId }) => {
    const upstream =
      shared && sessionId !== undefined
        ? shared.connect()
        : spawnChild(sessionId, sessionId === undefined);
    const timed = withRequestTimeouts(upstream, {
      requestTimeout: config.requestTimeout,
      connectionTimeout: config.connectionTimeout,
    });
    // The tap costs a wrapper call per message: only when the traffic log is on.
    return log.enabled
      ? (tapTransport(timed, log.observer(sessionId ?? "shared")) as Transport)
      : timed;
  };

  // Loaded only with --cluster: its Redis client costs every other proxy ~10 MiB and start time.
  const clustering = config.cluster ? await import("@mcp-proxy/cluster") : undefined;

  const options: StartHTTPServerOptions = {
    ...(command ? { createUpstream } : {}),
    ...(named
      ? {
          servers: named.options,
          ...(serversFile?.separator ? { aggregate: { separator: serversFile.separator } } : {}),
        }
      : {}),
    port: config.port,
    host: config.host,
    streamEndpoint: config.streamEndpoint,
    sseEndpoint: config.sseEndpoint,
    stateless: config.stateless,
    modern: config.modern,
    upstreamProtocol: config.upstreamProtocol,
    eventStore: config.eventStore
      ? new InMemoryEventStore({ maxEventsPerStream: config.eventStoreMaxEvents })
      : false,
    cors:
      config.cors === false
        ? false
        : {
            ...(config.cors.origins ? { origin: config.cors.origins } : {}),
            ...(config.cors.allowedHeaders.length > 0
              ? { allowedHeaders: [...DEFAULT_CORS_ALLOWED_HEADERS, ...config.cors.allowedHeaders] }
              : {}),
          },
    health: () => supervisor.health(),
    ...(metrics
      ? {
          metrics: metrics.server,
          onConnect: (info) => metrics.sessionOpened(info),
          onClose: (info) => metrics.sessionClosed(info),
        }
      : {}),
    closeGracePeriod: Math.floor(config.gracefulShutdownTimeout / 2),
    logger,
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ...(config.oauth
      ? {
          oauth: {
            issuer: config.oauth.issuers,
            scopes: config.oauth.scopes,
            ...(config.oauth.audience ? { audience: config.oauth.audience } : {}),
          },
        }
      : {}),
    ...(config.cluster && clustering
      ? {
          cluster: {
            registry: new clustering.RedisRegistry({ url: config.cluster.url, logger }),
            secret: config.cluster.secret,
            ...(config.cluster.advertise ? { advertise: config.cluster.advertise } : {}),
          },
        }
      : {}),
    ...(config.allowedOrigins
      ? { allowedOrigins: config.allowedOrigins.includes("*") ? "*" : config.allowedOrigins }
      : {}),
    ...(config.allowedHosts
      ? { allowedHosts: config.allowedHosts.includes("*") ? "*" : config.allowedHosts }
      : {}),
    ...(config.sslCa ? { sslCa: config.sslCa } : {}),
    ...(config.sslCert ? { sslCert: config.sslCert } : {}),
    ...(config.sslKey ? { sslKey: config.sslKey } : {}),
    ...(config.keepAliveTimeout !== undefined ? { keepAliveTimeout: config.keepAliveTimeout } : {}),
    ...(config.sessionTimeout !== undefined ? { sessionTimeout: config.sessionTimeout } : {}),
    ...(config.maxSessions !== undefined ? { maxSessions: config.maxSessions } : {}),
    ...(config.maxUpstreams !== undefined ? { maxUpstreams: config.maxUpstreams } : {}),
    ...(config.maxBodySize !== undefined ? { maxBodySize: config.maxBodySize } : {}),
  };

  try {
    handle = await startHTTPServer(options);
  } catch (error) {
    await log.close();
    throw error;
  }
  named?.attach(handle);
  // With --config, SIGHUP rereads the file instead of ending the proxy. Installed before the
  // startup lines: whoever waits for them may send SIGHUP at once (its default ends the process).
  const onHangup = () => void named?.reload();
  if (named) process.on("SIGHUP", onHangup);
  if (config.logging.logLevel !== "silent") {
    process.stderr.write(
      `${startupLines(
        config,
        handle.url,
        label,
        packageVersion(),
        handle.cluster && config.cluster && clustering
          ? { ...handle.cluster, registry: clustering.redactUrl(config.cluster.url) }
          : undefined,
      ).join("\n")}\n`,
    );
    if (named) process.stderr.write(`${namedServerLines(handle).join("\n")}\n`);
  }
  const warning = exposureWarning(config.host, config.apiKey ?? config.oauth?.issuers[0]);
  if (warning) process.stderr.write(`${warning.join("\n")}\n`);
  logger.debug("proxy options", {
    stateless: config.stateless,
    shared: config.shared,
    eventStore: config.eventStore,
    restart: config.restart,
  });

  const removeSignals = handleShutdownSignals({
    ...(named ? { signals: ["SIGINT", "SIGTERM"] as const } : {}),
    close: stop,
    timeoutMs: config.gracefulShutdownTimeout,
    exit: (code) => finish(code),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const code = await finished;
  removeSignals();
  process.off("SIGHUP", onHangup);
  return code;
}

/**
 * Calls `hook` on the transport's first incoming message, then gets out of the way: the handler
 * the consumer installed is put back, so later messages pay nothing. Install after start().
 */
function onFirstMessage(transport: Transport, hook: () => void): void {
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    transport.onmessage = deliver;
    hook();
    deliver?.(message, extra);
  };
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return Promise.race([promise, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}
