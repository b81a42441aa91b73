// `mcp-proxy stdio <url>` in front of a server that requires OAuth, end to end:
// the built binary, a real authorization server (oidc-provider on 127.0.0.1:
// dynamic registration, PKCE, refresh tokens, resource indicators), our
// http-server as the protected MCP server, and a $BROWSER script that plays
// the user's browser. The "done when" first, then the cases around it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { HTTPServerHandle, OAuthOptions } from "@mcp-proxy/http-server";
import { waitFor } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, describe, expect, it } from "vitest";
import { parseCommandLine } from "../src/config.js";
import { BIN, cleanup, runBin, tempDir, textOf } from "./helpers.js";
import {
  browserCommand,
  browserRuns,
  expOf,
  type LoginServer,
  startLoginServer,
  startProtectedServer,
} from "./oauth-login.js";

const authServers: LoginServer[] = [];
const servers: HTTPServerHandle[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await Promise.allSettled(servers.splice(0).map((s) => s.close()));
  await Promise.allSettled(authServers.splice(0).map((s) => s.close()));
  await cleanup();
});

interface Setup {
  as: LoginServer;
  server: HTTPServerHandle;
  /** The MCP endpoint. */
  url: string;
  configDir: string;
  browserLog: string;
}

async function setup(oauth: Partial<OAuthOptions> = {}, endpoint = "/mcp"): Promise<Setup> {
  const as = await startLoginServer();
  authServers.push(as);
  const server = await startProtectedServer({ issuer: as.issuer, scopes: ["mcp"], ...oauth });
  servers.push(server);
  return {
    as,
    server,
    url: `${server.url}${endpoint}`,
    configDir: tempDir("mcp-proxy-oauth-config-"),
    browserLog: join(tempDir("mcp-proxy-oauth-browser-"), "runs.jsonl"),
  };
}

/** The test runner's environment without MCP_PROXY_* and without a browser of its own. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("MCP_PROXY_") && k !== "BROWSER") env[k] = v;
  return env;
}

interface StdioRun {
  client: Client;
  stderr(): string;
  close(): Promise<void>;
}

/** Spawns `mcp-proxy stdio` for `url` as a desktop client would; `connect` runs the initialize. */
function spawnStdio(
  s: Setup,
  options: { args?: string[]; browserMode?: string; env?: Record<string, string> } = {},
): StdioRun & { connect(): Promise<void> } {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "stdio", "--oauthConfigDir", s.configDir, ...(options.args ?? []), s.url],
    env: {
      ...baseEnv(),
      BROWSER: browserCommand(),
      OAUTH_TEST_BROWSER_LOG: s.browserLog,
      OAUTH_TEST_BROWSER_MODE: options.browserMode ?? "follow",
      ...options.env,
    },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
  });
  const client = new Client({ name: "stdio-oauth-test", version: "1.0.0" });
  clients.push(client);
  return {
    client,
    stderr: () => stderr,
    connect: () => client.connect(transport),
    close: () => client.close(),
  };
}

async function echo(run: StdioRun, text: string): Promise<string> {
  return textOf(await run.client.callTool({ name: "echo", arguments: { text } }));
}

/** The one stored server directory under the config dir. */
function serverDir(configDir: string): string {
  const [name, ...more] = readdirSync(join(configDir, "oauth"));
  if (name === undefined || more.length > 0) throw new Error("expected one server directory");
  return join(configDir, "oauth", name);
}

function storedTokens(configDir: string): {
  access_token: string;
  refresh_token?: string;
  scope?: string;
} {
  return JSON.parse(readFileSync(join(serverDir(configDir), "tokens.json"), "utf8"));
}

function storedClient(configDir: string): { client_id: string } {
  return JSON.parse(readFileSync(join(serverDir(configDir), "client.json"), "utf8"));
}

/** Waits until the stored access token is past its expiry (the server allows no clock skew). */
async function waitForExpiry(configDir: string): Promise<void> {
  const exp = expOf(storedTokens(configDir).access_token);
  await waitFor(() => Date.now() / 1000 > exp + 1, 15_000);
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("mcp-proxy stdio with OAuth (done when)", () => {
  it("logs in through $BROWSER and calls a tool; the next run needs no browser; files are the owner's only; an expired token is refreshed without a browser", async () => {
    const s = await setup();
    // Short-lived tokens: the third run finds the stored one expired.
    s.as.accessTokenTTL = 3;
    const first = spawnStdio(s, { args: ["--debug"] });
    await first.connect();
    expect(await echo(first, "after login")).toBe("after login");
    const runs = browserRuns(s.browserLog);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      callbackStatus: 200,
      codeChallengeMethod: "S256",
      resource: s.url,
      scope: "mcp",
      hasState: true,
    });
    expect(String(runs[0]?.redirectUri)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    // The URL is shown for headless use; the tokens never reach the log, even with --debug.
    expect(first.stderr()).toContain(`${s.url} needs you to log in`);
    const tokens = storedTokens(s.configDir);
    expect(tokens.refresh_token).toBeDefined();
    expect(first.stderr()).not.toContain(tokens.access_token);
    expect(first.stderr()).not.toContain(tokens.refresh_token);
    await first.close();

    const dir = serverDir(s.configDir);
    expect(mode(join(s.configDir, "oauth"))).toBe(0o700);
    expect(mode(dir)).toBe(0o700);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(["client.json", "server.json", "tokens.json"]);
    for (const file of files) expect(mode(join(dir, file))).toBe(0o600);

    const second = spawnStdio(s);
    await second.connect();
    expect(await echo(second, "no browser")).toBe("no browser");
    await second.close();
    expect(browserRuns(s.browserLog)).toHaveLength(1);

    await waitForExpiry(s.configDir);
    s.as.accessTokenTTL = 300;
    const expired = storedTokens(s.configDir).access_token;
    const third = spawnStdio(s);
    await third.connect();
    expect(await echo(third, "refreshed")).toBe("refreshed");
    await third.close();
    expect(browserRuns(s.browserLog)).toHaveLength(1);
    expect(storedTokens(s.configDir).access_token).not.toBe(expired);
  });

  it("stores under $XDG_CONFIG_HOME/mcp-proxy by default; auth status shows it without tokens, auth logout removes it", async () => {
    const s = await setup();
    const xdg = tempDir("mcp-proxy-xdg-");
    const run = spawnStdio(
      { ...s, configDir: join(xdg, "mcp-proxy") },
      { env: { XDG_CONFIG_HOME: xdg } },
    );
    await run.connect();
    expect(await echo(run, "x")).toBe("x");
    await run.close();
    const configDir = join(xdg, "mcp-proxy");
    const tokens = storedTokens(configDir);

    const env = { ...baseEnv(), XDG_CONFIG_HOME: xdg };
    const status = await runBin(["auth", "status", s.url], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(s.url);
    expect(status.stdout).toMatch(/access token: +valid, expires in/);
    expect(status.stdout).toMatch(/refresh token: +stored/);
    expect(status.stdout).toContain(`authorization server: ${s.as.issuer}`);
    expect(status.stdout).not.toContain(tokens.access_token);
    const list = await runBin(["auth", "status"], { env });
    expect(list.stdout).toContain(s.url);

    const logout = await runBin(["auth", "logout", s.url], { env });
    expect(logout.code).toBe(0);
    expect(logout.stdout).toContain(`Logged out of ${s.url}`);
    expect(readdirSync(join(configDir, "oauth"))).toEqual([]);
    const after = await runBin(["auth", "status", s.url], { env });
    expect(after.stdout).toContain("not logged in");
  });
});

describe.each([
  { remote: "MCP 2026-07-28", endpoint: "/mcp", args: [] },
  { remote: "2025 Streamable HTTP", endpoint: "/mcp", args: ["--protocol", "legacy"] },
  { remote: "HTTP+SSE", endpoint: "/sse", args: ["--transport", "sse"] },
])("mcp-proxy stdio with OAuth, towards $remote", ({ endpoint, args }) => {
  it("logs in, then retries the call that met an expired token after refreshing it, without a browser", async () => {
    const s = await setup({}, endpoint);
    s.as.accessTokenTTL = 2;
    const run = spawnStdio(s, { args: [...args, "--logLevel", "debug"] });
    await run.connect();
    expect(await echo(run, "before")).toBe("before");
    expect(browserRuns(s.browserLog)).toHaveLength(1);
    const before = storedTokens(s.configDir).access_token;
    await waitForExpiry(s.configDir);
    s.as.accessTokenTTL = 300;
    const answered = run.stderr().length;
    expect(await echo(run, "after expiry")).toBe("after expiry");
    expect(run.stderr().slice(answered)).toMatch(/answered 401: authorizing/);
    expect(storedTokens(s.configDir).access_token).not.toBe(before);
    expect(browserRuns(s.browserLog)).toHaveLength(1);
  });
});

describe("mcp-proxy stdio with OAuth", () => {
  it("logs in again when the refresh token was revoked", async () => {
    const s = await setup();
    s.as.accessTokenTTL = 2;
    const first = spawnStdio(s);
    await first.connect();
    expect(await echo(first, "one")).toBe("one");
    await first.close();
    const { refresh_token } = storedTokens(s.configDir);
    await s.as.revoke(refresh_token as string, storedClient(s.configDir).client_id);
    await waitForExpiry(s.configDir);
    s.as.accessTokenTTL = 300;

    const second = spawnStdio(s);
    await second.connect();
    expect(await echo(second, "two")).toBe("two");
    expect(browserRuns(s.browserLog)).toHaveLength(2);
  });

  it("fails the call clearly when the server refuses even a fresh token (one login, no loop)", async () => {
    const s = await setup({ verify: () => undefined });
    const run = spawnStdio(s);
    await expect(run.connect()).rejects.toThrow(/401 Unauthorized even after OAuth authorization/);
    expect(browserRuns(s.browserLog)).toHaveLength(1);
  });

  it("refuses a redirect whose state is not the login's, and finishes with the right one", async () => {
    const s = await setup();
    const run = spawnStdio(s, { browserMode: "forged-state" });
    await run.connect();
    expect(await echo(run, "ok")).toBe("ok");
    const [record] = browserRuns(s.browserLog);
    expect(record).toMatchObject({ forgedStatus: 400, callbackStatus: 200 });
  });

  it("fails the request with a clear message when the login does not finish in time", async () => {
    const s = await setup();
    const run = spawnStdio(s, { browserMode: "ignore", args: ["--oauthLoginTimeout", "1000"] });
    await expect(run.connect()).rejects.toThrow(/OAuth login for .* did not finish within 1 s/);
    expect(browserRuns(s.browserLog)).toHaveLength(1);
    expect(run.stderr()).toMatch(
      /Open this URL in a browser:\n +http:\/\/127\.0\.0\.1:\d+\/auth\?/,
    );
  });

  it("shares one login between two processes started together", async () => {
    const s = await setup();
    const a = spawnStdio(s);
    const b = spawnStdio(s);
    await Promise.all([a.connect(), b.connect()]);
    expect(await echo(a, "a")).toBe("a");
    expect(await echo(b, "b")).toBe("b");
    expect(browserRuns(s.browserLog)).toHaveLength(1);
  });

  it("logs in again for more scope when the server answers 403 insufficient_scope (step-up)", async () => {
    const s = await setup();
    const first = spawnStdio(s);
    await first.connect();
    await first.close();
    expect(storedTokens(s.configDir).scope).toBe("mcp");
    // The same server now requires another scope as well.
    const port = Number(new URL(s.server.url).port);
    await s.server.close();
    servers.push(
      await startProtectedServer({ issuer: s.as.issuer, scopes: ["mcp", "admin"] }, port),
    );

    const second = spawnStdio(s);
    await second.connect();
    expect(await echo(second, "more scope")).toBe("more scope");
    const runs = browserRuns(s.browserLog);
    expect(runs).toHaveLength(2);
    expect(String(runs[1]?.scope).split(" ").sort()).toEqual(["admin", "mcp"]);
    expect(storedTokens(s.configDir).scope?.split(" ").sort()).toEqual(["admin", "mcp"]);
  });

  it("keeps the plain 401 error with --no-oauth, and opens no browser", async () => {
    const s = await setup();
    const run = spawnStdio(s, { args: ["--no-oauth"] });
    await expect(run.connect()).rejects.toThrow(/401 Unauthorized/);
    expect(browserRuns(s.browserLog)).toHaveLength(0);
  });
});

describe("the OAuth flags of stdio mode and the auth command", () => {
  const parse = (argv: string[], env: Record<string, string> = {}) => parseCommandLine(argv, env);
  const stdio = (argv: string[], env: Record<string, string> = {}) => {
    const r = parse(["stdio", ...argv], env);
    if (r.kind !== "stdio") throw new Error(`expected stdio, got ${r.kind}`);
    return r.config;
  };
  const url = "https://mcp.example.com/mcp";

  it("turns OAuth on by default, with the flags and their MCP_PROXY_* mirrors", () => {
    expect(stdio([url]).oauth).toEqual({ loginTimeout: 300_000 });
    expect(
      stdio([
        "--oauthClientId",
        "app",
        "--oauth-client-secret",
        "s",
        "--oauthScope",
        " mcp  read ",
        "--oauthCallbackPort",
        "33418",
        "--oauthLoginTimeout",
        "1000",
        "--oauthConfigDir",
        "/tmp/cfg",
        url,
      ]).oauth,
    ).toEqual({
      clientId: "app",
      clientSecret: "s",
      scope: "mcp read",
      callbackPort: 33418,
      loginTimeout: 1000,
      configDir: "/tmp/cfg",
    });
    expect(
      stdio([url], { MCP_PROXY_OAUTH_CLIENT_ID: "env-app", MCP_PROXY_OAUTH_CONFIG_DIR: "/c" })
        .oauth,
    ).toMatchObject({ clientId: "env-app", configDir: "/c" });
  });

  it("leaves OAuth off with --no-oauth, --bearer or an Authorization header", () => {
    expect(stdio(["--no-oauth", url]).oauth).toBeUndefined();
    expect(stdio([url], { MCP_PROXY_OAUTH: "false" }).oauth).toBeUndefined();
    expect(stdio(["--bearer", "t", url]).oauth).toBeUndefined();
    expect(stdio(["--header", "authorization: Bearer t", url]).oauth).toBeUndefined();
  });

  it("refuses OAuth flags that cannot apply", () => {
    expect(() => stdio(["--bearer", "t", "--oauthClientId", "app", url])).toThrow(
      /--oauthClientId is for OAuth, which --bearer or an Authorization header replaces/,
    );
    expect(() => stdio(["--oauthClientSecret", "s", url])).toThrow(/needs --oauthClientId/);
    expect(() => stdio(["--oauthCallbackPort", "0", url])).toThrow(/--oauthCallbackPort/);
    expect(() => stdio(["--oauthScope", 'a"b', url])).toThrow(/not a scope name/);
  });

  it("parses auth status and logout", () => {
    expect(parse(["auth", "status"])).toEqual({ kind: "auth", config: { action: "status" } });
    expect(parse(["auth", "logout", url, "--oauthConfigDir", "/c"])).toEqual({
      kind: "auth",
      config: { action: "logout", url, configDir: "/c" },
    });
    expect(() => parse(["auth", "logout"])).toThrow(/No URL/);
    expect(() => parse(["auth"])).toThrow(/No action/);
    expect(() => parse(["auth", "login", url])).toThrow(/Unknown action "login"/);
    expect(() => parse(["auth", "status", "ftp://x"])).toThrow(/http:\/\/ or https:\/\//);
    expect(parse(["auth", "--help"])).toEqual({ kind: "help", mode: "auth" });
  });
});
