// The command lines the reference `mcp-proxy` (6.7.19) documents, flag by flag: what we accept
// with its meaning, what is another name for one of ours, where we deliberately differ, and what
// we refuse with a way out. Parse-level first, then the built binary for the flags whose effect
// is only visible on the wire.
import { readFileSync } from "node:fs";
import http from "node:http";
import { ECHO_SERVER, waitFor } from "@mcp-proxy/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { parseCommandLine, type ServeConfig } from "../src/config.js";
import { SERVE_FLAGS } from "../src/flags.js";
import { createProgram, flagTableMarkdown } from "../src/help.js";
import { EXIT_USAGE, UsageError } from "../src/usage-error.js";
import { cleanup, INITIALIZE_BODY, postMcp, runBin, startProxy } from "./helpers.js";

afterEach(cleanup);

const serveConfig = (argv: string[], env: Record<string, string> = {}): ServeConfig => {
  const r = parseCommandLine(argv, env);
  if (r.kind !== "serve") throw new Error(`expected serve, got ${r.kind}`);
  return r.config;
};

describe("--sessionIdleTimeout: the reference's name for --sessionTimeout", () => {
  it("sets the session timeout, in both spellings and from its env var; 0 is never", () => {
    expect(serveConfig(["--sessionIdleTimeout", "60000", "x"]).sessionTimeout).toBe(60000);
    expect(serveConfig(["--session-idle-timeout=0", "x"]).sessionTimeout).toBe(0);
    expect(serveConfig(["x"], { MCP_PROXY_SESSION_IDLE_TIMEOUT: "1800000" }).sessionTimeout).toBe(
      1800000,
    );
  });

  it("accepts both names with the same value and refuses different ones", () => {
    expect(
      serveConfig(["--sessionTimeout", "1000", "--sessionIdleTimeout", "1000", "x"]).sessionTimeout,
    ).toBe(1000);
    expect(() =>
      serveConfig(["--sessionTimeout", "1000", "--sessionIdleTimeout", "2000", "x"]),
    ).toThrow(
      new UsageError(
        '--sessionTimeout and --sessionIdleTimeout are one setting and disagree ("1000" vs "2000"); give one of them',
      ),
    );
    expect(() =>
      serveConfig(["x"], {
        MCP_PROXY_SESSION_TIMEOUT: "1000",
        MCP_PROXY_SESSION_IDLE_TIMEOUT: "2000",
      }),
    ).toThrow("MCP_PROXY_SESSION_TIMEOUT and MCP_PROXY_SESSION_IDLE_TIMEOUT are one setting");
  });

  it("lets the command line win over either name's env var, as for every flag", () => {
    expect(
      serveConfig(["--sessionIdleTimeout", "7", "x"], { MCP_PROXY_SESSION_TIMEOUT: "9" })
        .sessionTimeout,
    ).toBe(7);
    expect(
      serveConfig(["--sessionTimeout", "7", "x"], { MCP_PROXY_SESSION_IDLE_TIMEOUT: "9" })
        .sessionTimeout,
    ).toBe(7);
  });

  it("names the spelling the user wrote in a bad-value error", () => {
    expect(() => serveConfig(["--sessionIdleTimeout", "-1", "x"])).toThrow(
      '--sessionIdleTimeout expects a whole number >= 0, got "-1"',
    );
  });

  it("is listed in help and the README table as the same as --sessionTimeout", () => {
    expect(flagTableMarkdown("serve")).toContain(
      "| `--sessionIdleTimeout <ms>` | `MCP_PROXY_SESSION_IDLE_TIMEOUT` |  | Same as --sessionTimeout",
    );
    const help = createProgram("serve", "0.0.0").commands[0]!;
    expect(help.options.map((o) => o.rawName)).toContain("--session-idle-timeout <ms>");
  });
});

describe("--maxBodySize 0: no limit", () => {
  it("turns 0 into no limit and keeps other sizes", () => {
    expect(serveConfig(["--maxBodySize", "0", "x"]).maxBodySize).toBe(false);
    expect(serveConfig(["x"], { MCP_PROXY_MAX_BODY_SIZE: "0" }).maxBodySize).toBe(false);
    expect(serveConfig(["--maxBodySize", "2000", "x"]).maxBodySize).toBe(2000);
    expect(serveConfig(["x"]).maxBodySize).toBeUndefined();
    expect(() => serveConfig(["--maxBodySize", "-1", "x"])).toThrow("whole number >= 0");
  });
});

describe("--tunnel and --tunnelSubdomain: refused with a way out", () => {
  const refusal =
    /is not supported: mcp-proxy opens no public tunnel; .*cloudflared.*ngrok.*--allowedHost/;

  it.each([
    [["--tunnel", "x"], {}, "--tunnel"],
    [["--tunnel=true", "x"], {}, "--tunnel"],
    [["--tunnel", "true", "x"], {}, "--tunnel"],
    [["--tunnelSubdomain", "mine", "x"], {}, "--tunnelSubdomain"],
    [["--tunnel-subdomain=mine", "x"], {}, "--tunnelSubdomain"],
    [["x"], { MCP_PROXY_TUNNEL: "true" }, "MCP_PROXY_TUNNEL"],
    [["x"], { MCP_PROXY_TUNNEL_SUBDOMAIN: "mine" }, "MCP_PROXY_TUNNEL_SUBDOMAIN"],
  ] as const)("%j %j names %s", (argv, env, source) => {
    expect(() => serveConfig([...argv], env)).toThrow(UsageError);
    expect(() => serveConfig([...argv], env)).toThrow(refusal);
    expect(() => serveConfig([...argv], env)).toThrow(new RegExp(`^${source} is not supported`));
  });

  it("is refused before a missing command is reported", () => {
    expect(() => serveConfig(["--tunnel"])).toThrow(refusal);
  });

  it("accepts asking for no tunnel, which is what we do", () => {
    expect(() => serveConfig(["--no-tunnel", "x"])).not.toThrow();
    expect(() => serveConfig(["--tunnel=false", "x"])).not.toThrow();
    expect(() => serveConfig(["x"], { MCP_PROXY_TUNNEL: "false" })).not.toThrow();
  });

  it("is hidden from help and the README table", () => {
    expect(flagTableMarkdown("serve")).not.toContain("tunnel");
    const help = createProgram("serve", "0.0.0").commands[0]!;
    expect(help.options.some((o) => o.rawName.includes("tunnel"))).toBe(false);
    expect(SERVE_FLAGS.filter((s) => s.refused).map((s) => s.name)).toEqual([
      "tunnel",
      "tunnelSubdomain",
    ]);
  });
});

describe("the reference's other flags, with its meaning", () => {
  it.each<
    [string, string[], Record<string, string>, Partial<ServeConfig> | Record<string, unknown>]
  >([
    ["--server sse", ["--server", "sse"], {}, { streamEndpoint: null, sseEndpoint: "/sse" }],
    ["--server stream", ["--server", "stream"], {}, { streamEndpoint: "/mcp", sseEndpoint: null }],
    [
      "--endpoint with --server stream",
      ["--server", "stream", "--endpoint", "/rpc"],
      {},
      { streamEndpoint: "/rpc", sseEndpoint: null },
    ],
    [
      "--endpoint with --server sse",
      ["--server", "sse", "--endpoint", "/events"],
      {},
      { streamEndpoint: null, sseEndpoint: "/events" },
    ],
    [
      "--sseEndpoint and --streamEndpoint",
      ["--sseEndpoint", "/events", "--streamEndpoint", "/rpc"],
      {},
      { streamEndpoint: "/rpc", sseEndpoint: "/events" },
    ],
    ["--stateless", ["--stateless"], {}, { stateless: true }],
    ["--modern (default)", [], {}, { modern: true }],
    ["--no-modern", ["--no-modern"], {}, { modern: false }],
    ["--modern false", ["--modern", "false"], {}, { modern: false }],
    ["--upstreamProtocol auto", ["--upstreamProtocol", "auto"], {}, { upstreamProtocol: "auto" }],
    [
      "--upstreamProtocol modern",
      ["--upstreamProtocol", "modern"],
      {},
      { upstreamProtocol: "modern" },
    ],
    ["--port", ["--port", "3000"], {}, { port: 3000 }],
    ["--connectionTimeout", ["--connectionTimeout", "1000"], {}, { connectionTimeout: 1000 }],
    ["--requestTimeout", ["--requestTimeout", "2000"], {}, { requestTimeout: 2000 }],
    [
      "--keepAliveTimeout (the reference's default, given explicitly)",
      ["--keepAliveTimeout", "300000"],
      {},
      { keepAliveTimeout: 300000 },
    ],
    ["--eventStore (default)", [], {}, { eventStore: true }],
    ["--no-eventStore", ["--no-eventStore"], {}, { eventStore: false }],
    ["--eventStoreMaxEvents", ["--eventStoreMaxEvents", "50"], {}, { eventStoreMaxEvents: 50 }],
    ["--debug", ["--debug"], {}, { logging: { logLevel: "debug", debug: true } }],
    ["--shell", ["--shell"], {}, { child: expect.objectContaining({ shell: true }) }],
    ["--apiKey", ["--apiKey", "k3y"], {}, { apiKey: "k3y" }],
    ["MCP_PROXY_API_KEY", [], { MCP_PROXY_API_KEY: "k3y" }, { apiKey: "k3y" }],
    [
      "--sslCa, --sslCert, --sslKey",
      ["--sslCa", "ca.pem", "--sslCert", "cert.pem", "--sslKey", "key.pem"],
      {},
      { sslCa: "ca.pem", sslCert: "cert.pem", sslKey: "key.pem" },
    ],
    [
      "--corsAddAllowedHeader, repeated",
      ["--corsAddAllowedHeader", "X-API-Key", "--corsAddAllowedHeader", "X-Trace"],
      {},
      { cors: { allowedHeaders: ["X-API-Key", "X-Trace"] } },
    ],
    [
      "--gracefulShutdownTimeout (in its bin, not its README)",
      ["--gracefulShutdownTimeout", "100"],
      {},
      { gracefulShutdownTimeout: 100 },
    ],
    [
      "--stateless false (yargs reads the word)",
      ["--stateless", "false"],
      {},
      { stateless: false },
    ],
    [
      "--no-stateless (yargs negates every boolean)",
      ["--no-stateless"],
      { MCP_PROXY_STATELESS: "true" },
      { stateless: false },
    ],
    [
      "--no-debug, --no-shell",
      ["--no-debug", "--no-shell"],
      { MCP_PROXY_DEBUG: "true" },
      {
        logging: { logLevel: "info", debug: false },
      },
    ],
  ])("%s", (_name, flags, env, expected) => {
    const config = serveConfig([...flags, "--", "node", "server.js"], env);
    expect(config).toMatchObject(expected);
    expect(config.child).toMatchObject({ command: "node", args: ["server.js"] });
  });

  it("takes the command after --, or as the first positional, and leaves its arguments alone", () => {
    // The reference README's own examples.
    expect(serveConfig(["--port", "8080", "--shell", "--", "tsx", "server.js"])).toMatchObject({
      port: 8080,
      child: { command: "tsx", args: ["server.js"], shell: true },
    });
    expect(
      serveConfig(["npx", "-y", "@anthropic/mcp-server-filesystem", "/path"]).child,
    ).toMatchObject({ command: "npx", args: ["-y", "@anthropic/mcp-server-filesystem", "/path"] });
    expect(
      serveConfig(["--port", "8080", "--", "node", "server.js", "--port", "3000"]),
    ).toMatchObject({
      port: 8080,
      child: { command: "node", args: ["server.js", "--port", "3000"] },
    });
    // Its README: without --, "all subsequent arguments are passed to that command".
    expect(serveConfig(["node", "server.js", "--port", "3000"])).toMatchObject({
      port: 8080,
      child: { args: ["server.js", "--port", "3000"] },
    });
    expect(serveConfig(["--debug", "true", "node", "s.js"]).child?.command).toBe("node");
  });
});

describe("where we deliberately differ", () => {
  it("keeps our defaults: loopback host, 5 min sessions and 5 s keep-alive (http-server's)", () => {
    const c = serveConfig(["x"]);
    expect(c.host).toBe("127.0.0.1");
    expect(c.sessionTimeout).toBeUndefined();
    expect(c.keepAliveTimeout).toBeUndefined();
  });

  it("refuses what the reference silently ignores or lets contradict", () => {
    expect(() => serveConfig(["--endpoint", "/rpc", "x"])).toThrow(
      "--endpoint needs --server stream or --server sse",
    );
    expect(() =>
      serveConfig(["--server", "sse", "--endpoint", "/a", "--sseEndpoint", "/b", "x"]),
    ).toThrow("--endpoint and --sseEndpoint disagree");
    expect(() => serveConfig(["--sslCa", "ca.pem", "x"])).toThrow(
      "--sslCa is used by the HTTPS server only",
    );
    expect(() => serveConfig(["--sslCert", "c.pem", "x"])).toThrow("--sslCert and --sslKey");
    expect(() => serveConfig(["--apiKey", "", "x"])).toThrow("is empty");
    expect(() => serveConfig(["--requestTimeout", "0", "x"])).toThrow("whole number >= 1");
  });
});

describe("the built binary", () => {
  it("exits with EXIT_USAGE and one line for a conflict and for --tunnel", async () => {
    const conflict = await runBin([
      ...["--sessionTimeout", "1000", "--sessionIdleTimeout", "2000"],
      ...["--", "node", ECHO_SERVER],
    ]);
    expect(conflict.code).toBe(EXIT_USAGE);
    expect(conflict.stderr).toBe(
      'mcp-proxy: --sessionTimeout and --sessionIdleTimeout are one setting and disagree ("1000" vs "2000"); give one of them\n',
    );
    const tunnel = await runBin(["--tunnel", "--", "node", ECHO_SERVER]);
    expect(tunnel.code).toBe(EXIT_USAGE);
    expect(tunnel.stderr).toMatch(/^mcp-proxy: --tunnel is not supported: .*cloudflared.*\n$/);
  });

  it("--sessionIdleTimeout ends a session nobody talks to", async () => {
    const proxy = await startProxy([
      ...["--sessionIdleTimeout", "300", "--metrics"],
      ...["--", "node", ECHO_SERVER],
    ]);
    const init = await postMcp(proxy.url, INITIALIZE_BODY);
    expect(init.status).toBe(200);
    await init.body?.cancel();
    const sessionId = init.headers.get("mcp-session-id")!;
    expect(sessionId).toBeTruthy();
    // Watched through /metrics: a request on the session itself would count as activity.
    const openSessions = async () => {
      const text = await (await fetch(`${proxy.url}/metrics`)).text();
      return Number(
        /^mcp_proxy_sessions\{transport="streamable-http",era="2025"\} (\d+)$/m.exec(text)?.[1] ??
          0,
      );
    };
    await waitFor(async () => (await openSessions()) === 0, 10_000, 100);
    const after = await postMcp(
      proxy.url,
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }),
      { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
    );
    expect(after.status).toBe(404);
  });

  it("--maxBodySize 0 accepts a body over the default 10 MiB limit, which is refused without it", async () => {
    // Padded with whitespace, which the proxy's JSON parse drops: an SDK stdio server reads at
    // most 10 MiB a message itself (STDIO_DEFAULT_MAX_BUFFER_SIZE), so padding that reached the
    // child would test the child's limit, not ours.
    const big = INITIALIZE_BODY + " ".repeat(10 * 1024 * 1024 + 1024);
    const limited = await startProxy(["--", "node", ECHO_SERVER]);
    // Refused on the declared length alone: the 413 comes before any body is sent (sending the
    // body anyway races the server closing the connection, an EPIPE on a loaded machine).
    expect(await declaredLengthStatus(limited.url, Buffer.byteLength(big))).toBe(413);
    const unlimited = await startProxy(["--maxBodySize", "0", "--", "node", ECHO_SERVER]);
    const accepted = await postMcp(unlimited.url, big);
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toContain('"protocolVersion"');
  });
});

/** The status a POST /mcp declaring `length` body bytes gets before it sends any of them. */
function declaredLengthStatus(url: string, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/mcp`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        "Content-Length": String(length),
      },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on("error", reject);
    req.flushHeaders();
  });
}

it("the README's reference section lists every refused flag", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  for (const spec of SERVE_FLAGS.filter((s) => s.refused))
    expect(readme).toContain(`--${spec.name}`);
});
