import { describe, expect, it } from "vitest";
import { parseCommandLine, type ServeConfig } from "../src/config.js";
import { childEnvironment } from "../src/env-vars.js";
import { envVarName } from "../src/flags.js";
import { redactedUrl } from "../src/stdio-command.js";

const serveConfig = (argv: string[], env: Record<string, string> = {}): ServeConfig => {
  const r = parseCommandLine(argv, env);
  if (r.kind !== "serve") throw new Error(`expected serve, got ${r.kind}`);
  return r.config;
};

describe("serve config", () => {
  it("parses the era flags", () => {
    expect(
      serveConfig(["--no-modern", "--upstreamProtocol", "auto", "node", "s.js"]),
    ).toMatchObject({
      modern: false,
      upstreamProtocol: "auto",
    });
    expect(() => serveConfig(["--upstream-protocol", "future", "node", "s.js"])).toThrow();
  });

  it("parses --shared (also from MCP_PROXY_SHARED) and refuses it with --stateless", () => {
    expect(serveConfig(["--shared", "node", "s.js"]).shared).toBe(true);
    expect(serveConfig(["node", "s.js"], { MCP_PROXY_SHARED: "true" }).shared).toBe(true);
    expect(() => serveConfig(["--shared", "--stateless", "node", "s.js"])).toThrow(
      /exclude each other/,
    );
  });

  it("parses the OAuth flags and their MCP_PROXY_OAUTH_* mirrors", () => {
    expect(
      serveConfig([
        "--oauthIssuer",
        "https://auth.example.com",
        "--oauth-issuer",
        "http://127.0.0.1:9000",
        "--oauthAudience",
        "https://mcp.example.com/mcp",
        "--oauthScope",
        " mcp  tools:read ",
        "node",
        "s.js",
      ]).oauth,
    ).toEqual({
      issuers: ["https://auth.example.com", "http://127.0.0.1:9000"],
      audience: "https://mcp.example.com/mcp",
      scopes: ["mcp", "tools:read"],
    });
    const env = {
      MCP_PROXY_OAUTH_ISSUER: "https://a.example.com,https://b.example.com",
      MCP_PROXY_OAUTH_SCOPE: "mcp",
    };
    expect(serveConfig(["node", "s.js"], env).oauth).toEqual({
      issuers: ["https://a.example.com", "https://b.example.com"],
      scopes: ["mcp"],
    });
    expect(serveConfig(["node", "s.js"]).oauth).toBeUndefined();
  });

  it("refuses unsafe or incomplete OAuth flags with a usage error", () => {
    const issuer = ["--oauthIssuer", "https://auth.example.com"];
    expect(() => serveConfig(["--oauthIssuer", "http://auth.example.com", "x"])).toThrow(
      /--oauthIssuer must be an https URL \(http only on a loopback address\)/,
    );
    expect(() =>
      serveConfig(["x"], { MCP_PROXY_OAUTH_ISSUER: "http://10.0.0.1/realms/mcp" }),
    ).toThrow(/MCP_PROXY_OAUTH_ISSUER must be an https URL/);
    for (const loopback of ["http://localhost:9000", "http://127.0.0.1", "http://[::1]:9"])
      expect(serveConfig(["--oauthIssuer", loopback, "x"]).oauth?.issuers).toEqual([loopback]);
    expect(() => serveConfig(["--oauthIssuer", "not a url", "x"])).toThrow(/expects a URL/);
    expect(() => serveConfig(["--oauthScope", "mcp", "x"])).toThrow(/needs --oauthIssuer/);
    expect(() => serveConfig(["--oauthAudience", "https://m.example/mcp", "x"])).toThrow(
      /needs --oauthIssuer/,
    );
    expect(() => serveConfig([...issuer, "--apiKey", "k", "x"])).toThrow(/exclude each other/);
    expect(() => serveConfig([...issuer, "--host", "0.0.0.0", "x"])).toThrow(
      /needs --oauthAudience/,
    );
    expect(() => serveConfig([...issuer, "--oauthAudience", "urn:mcp", "x"])).toThrow(
      /expects the http\(s\) URL clients use/,
    );
    expect(() => serveConfig([...issuer, "--oauthScope", 'a"b', "x"])).toThrow(/not a scope/);
  });

  it("parses the cluster flags (the secret also from MCP_PROXY_CLUSTER_SECRET) and refuses what cannot work", () => {
    const secret = "0123456789abcdef";
    expect(
      serveConfig(["--cluster", "redis://r:6379", "--advertise", "http://10.0.0.5:8080", "x"], {
        MCP_PROXY_CLUSTER_SECRET: secret,
      }).cluster,
    ).toEqual({ url: "redis://r:6379", secret, advertise: "http://10.0.0.5:8080" });
    expect(serveConfig(["x"]).cluster).toBeUndefined();
    expect(() => serveConfig(["--cluster", "redis://r:6379", "x"])).toThrow(
      /needs --clusterSecret \(or MCP_PROXY_CLUSTER_SECRET\) of 16 characters/,
    );
    expect(() => serveConfig(["--cluster", "redis://r", "--clusterSecret", "short", "x"])).toThrow(
      /16 characters/,
    );
    expect(() =>
      serveConfig(["--cluster", "http://r:6379", "--clusterSecret", secret, "x"]),
    ).toThrow(/redis:\/\/ or rediss:\/\/ URL/);
    expect(() => serveConfig(["--clusterSecret", secret, "x"])).toThrow(/needs --cluster/);
    expect(() => serveConfig(["--advertise", "http://a:1", "x"])).toThrow(/needs --cluster/);
    const cluster = ["--cluster", "rediss://u:p@r:6380", "--clusterSecret", secret];
    expect(() => serveConfig([...cluster, "--advertise", "10.0.0.5:8080", "x"])).toThrow(
      /expects the http\(s\) URL other replicas reach/,
    );
    expect(() => serveConfig([...cluster, "--oauthIssuer", "https://auth.example", "x"])).toThrow(
      /--oauthIssuer with --cluster needs --oauthAudience/,
    );
  });

  it("has documented defaults", () => {
    const c = serveConfig(["node", "s.js"]);
    expect(c).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      streamEndpoint: "/mcp",
      sseEndpoint: "/sse",
      stateless: false,
      shared: false,
      modern: true,
      upstreamProtocol: "legacy",
      cors: { allowedHeaders: [] },
      gracefulShutdownTimeout: 5000,
      requestTimeout: 300000,
      eventStore: true,
      restart: "never",
      logging: { logLevel: "info", debug: false },
    });
    expect(c.apiKey).toBeUndefined();
    expect(c.child).toMatchObject({ command: "node", args: ["s.js"], shell: false });
  });

  it("reads every flag from MCP_PROXY_<NAME>, flags winning", () => {
    const env = {
      MCP_PROXY_PORT: "9000",
      MCP_PROXY_API_KEY: "secret",
      MCP_PROXY_STATELESS: "true",
      MCP_PROXY_CORS_ORIGIN: "https://a.example,https://b.example",
      MCP_PROXY_ENV: "A=1\nB=2",
      MCP_PROXY_EVENT_STORE: "false",
    };
    const c = serveConfig(["--port", "9001", "x"], env);
    expect(c.port).toBe(9001);
    expect(c.apiKey).toBe("secret");
    expect(c.stateless).toBe(true);
    expect(c.eventStore).toBe(false);
    expect(c.cors).toEqual({
      origins: ["https://a.example", "https://b.example"],
      allowedHeaders: [],
    });
    expect(c.child?.env).toMatchObject({ A: "1", B: "2" });
  });

  it("never passes MCP_PROXY_* to the child", () => {
    const c = serveConfig(["x"], { MCP_PROXY_API_KEY: "secret", PATH: "/bin", OTHER: "1" });
    expect(c.child?.env).toEqual({ PATH: "/bin", OTHER: "1" });
    const bare = serveConfig(["--no-pass-environment", "--env", "K=v", "x"], {
      MCP_PROXY_API_KEY: "s",
      PATH: "/bin",
      OTHER: "1",
    });
    expect(bare.child?.env).toEqual({ PATH: "/bin", K: "v" });
  });

  it("maps --endpoint to the single enabled transport", () => {
    expect(serveConfig(["--server", "stream", "--endpoint", "/rpc", "x"])).toMatchObject({
      streamEndpoint: "/rpc",
      sseEndpoint: null,
    });
    expect(serveConfig(["--server", "sse", "--endpoint", "/events", "x"])).toMatchObject({
      streamEndpoint: null,
      sseEndpoint: "/events",
    });
    expect(() => serveConfig(["--endpoint", "/rpc", "x"])).toThrow(
      "needs --server stream or --server sse",
    );
  });

  it("points usage errors at the subcommand's own help", () => {
    expect(() => parseCommandLine(["stdio", "--port", "1", "http://x"], {})).toThrow(
      "(see mcp-proxy stdio --help)",
    );
    expect(() => parseCommandLine(["tap"], {})).toThrow("mcp-proxy tap [options] --");
  });

  it("refuses an empty API key instead of serving without auth", () => {
    expect(() => serveConfig(["--apiKey", "", "x"])).toThrow("is empty");
    expect(() => serveConfig(["x"], { MCP_PROXY_API_KEY: " " })).toThrow("is empty");
  });

  it("refuses endpoints on paths the proxy serves itself", () => {
    for (const args of [
      ["--streamEndpoint", "/health"],
      ["--sseEndpoint", "/ping"],
      ["--server", "sse", "--endpoint", "/messages"],
      ["--streamEndpoint", "/messages"],
    ]) {
      expect(() => serveConfig([...args, "x"])).toThrow("a path the proxy serves itself");
    }
    // Without the SSE transport, /messages is free.
    expect(serveConfig(["--server", "stream", "--endpoint", "/messages", "x"])).toMatchObject({
      streamEndpoint: "/messages",
    });
  });

  it("validates numbers, enums and paths", () => {
    expect(() => serveConfig(["--port", "80a", "x"])).toThrow(
      '--port expects a port number (0-65535), got "80a"',
    );
    expect(() => serveConfig(["--port", "70000", "x"])).toThrow("port number");
    expect(() => serveConfig(["x"], { MCP_PROXY_PORT: "-1" })).toThrow("MCP_PROXY_PORT expects");
    expect(() => serveConfig(["--requestTimeout", "1.5", "x"])).toThrow("whole number");
    expect(() => serveConfig(["--server", "ws", "x"])).toThrow("one of stream, sse, both");
    expect(() => serveConfig(["--sseEndpoint", "sse", "x"])).toThrow('must start with "/"');
    expect(() => serveConfig(["--sslCert", "c.pem", "x"])).toThrow("--sslCert and --sslKey");
    expect(() => serveConfig(["--env", "NOEQUALS", "x"])).toThrow("KEY=VALUE");
  });

  it("requires a command", () => {
    expect(() => serveConfig(["--port", "1"])).toThrow("No command to run");
    expect(() => serveConfig(["--"])).toThrow("No command to run");
  });

  it("turns CORS off with --corsOrigin off", () => {
    expect(serveConfig(["--corsOrigin", "off", "x"]).cors).toBe(false);
  });

  it("--debug implies log level debug unless --logLevel says otherwise", () => {
    expect(serveConfig(["--debug", "x"]).logging).toEqual({ logLevel: "debug", debug: true });
    expect(serveConfig(["--debug", "--log-level", "warn", "x"]).logging.logLevel).toBe("warn");
  });
});

describe("other invocations", () => {
  it("help and version win over everything else", () => {
    expect(parseCommandLine(["--help"], {})).toEqual({ kind: "help", mode: "serve" });
    expect(parseCommandLine(["stdio", "-h"], {})).toEqual({ kind: "help", mode: "stdio" });
    expect(parseCommandLine(["--version"], {})).toEqual({ kind: "version" });
  });

  it("parses stdio mode", () => {
    const r = parseCommandLine(
      [
        "stdio",
        "--transport",
        "sse",
        "--header",
        "X-A: 1",
        "--header",
        "X-B:  two ",
        "https://h/sse",
      ],
      { MCP_PROXY_BEARER: "tok" },
    );
    expect(r).toEqual({
      kind: "stdio",
      config: {
        url: "https://h/sse",
        transport: "sse",
        protocol: "auto",
        headers: { "X-A": "1", "X-B": "two" },
        bearer: "tok",
        logging: { logLevel: "info", debug: false },
      },
    });
    expect(() => parseCommandLine(["stdio"], {})).toThrow("No URL");
    expect(() =>
      parseCommandLine(["stdio", "--transport", "sse", "--protocol", "modern", "https://h/"], {}),
    ).toThrow("--protocol modern needs Streamable HTTP");
    const modern = parseCommandLine(["stdio", "--protocol", "legacy", "https://h/mcp"], {});
    expect(modern).toMatchObject({ config: { transport: "auto", protocol: "legacy" } });
    expect(() => parseCommandLine(["stdio", "ftp://x"], {})).toThrow("http:// or https://");
    expect(() => parseCommandLine(["stdio", "--header", "nocolon", "http://x"], {})).toThrow(
      "'Name: value'",
    );
  });

  it("parses tap mode", () => {
    const r = parseCommandLine(["tap", "--log-file", "t.jsonl", "--", "node", "s.js", "--x"], {});
    expect(r).toMatchObject({
      kind: "tap",
      config: { logFile: "t.jsonl", child: { command: "node", args: ["s.js", "--x"] } },
    });
  });
});

describe("helpers", () => {
  it("names env vars", () => {
    expect(envVarName("apiKey")).toBe("MCP_PROXY_API_KEY");
    expect(envVarName("eventStoreMaxEvents")).toBe("MCP_PROXY_EVENT_STORE_MAX_EVENTS");
  });

  it("lets explicit --env override the inherited environment", () => {
    expect(
      childEnvironment({ A: "1", B: "2" }, { passEnvironment: true, extra: { A: "3" } }),
    ).toEqual({
      A: "3",
      B: "2",
    });
  });
});

describe("README example", () => {
  it("describes an invocation as documented", async () => {
    const { describeInvocation } = await import("../src/parse.examples.js");
    expect(describeInvocation(["--port", "9000", "--", "npx", "-y", "server", "--verbose"])).toBe(
      "npx -y server --verbose on http://127.0.0.1:9000/mcp",
    );
  });
});

describe("redactedUrl", () => {
  it("hides credentials and query values in logged URLs", () => {
    expect(redactedUrl("https://alice:pw@host.example/mcp?api_key=k&x=1")).toBe(
      "https://***:***@host.example/mcp?api_key=***&x=***",
    );
    expect(redactedUrl("http://127.0.0.1:8080/mcp")).toBe("http://127.0.0.1:8080/mcp");
  });
});
