// The OAuth client's own parts, each against real files, sockets and
// processes: the per-server store (modes, layout, status, logout), the lock
// between processes, the loopback redirect listener (state check, errors),
// the $BROWSER opener, and the transports' use of a provider against our
// http-server as a protected server. The whole login against a real
// authorization server is in the CLI's stdio-oauth tests.
import { spawn } from "node:child_process";
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ChildProcessTransport } from "@mcp-proxy/core";
import { type HTTPServerHandle, startHTTPServer } from "@mcp-proxy/http-server";
import { ECHO_SERVER, initializeRequest, waitFor } from "@mcp-proxy/test-utils";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { afterEach, describe, expect, it } from "vitest";
import { openBrowser } from "../src/browser.js";
import { CallbackListener } from "../src/oauth-callback.js";
import { acquireLock } from "../src/oauth-lock.js";
import { FileOAuthProvider } from "../src/oauth-provider.js";
import {
  clearOAuthCredentials,
  defaultConfigDir,
  listStoredServers,
  readOAuthStatus,
  serverDirName,
} from "../src/oauth-store.js";
import { StreamableHttpClientTransport } from "../src/streamable-http-client.js";

const dirs: string[] = [];
const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((close) => close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "stdio-client-oauth-")));
  dirs.push(dir);
  return dir;
}

const mode = (path: string) => statSync(path).mode & 0o777;
const SERVER = "https://mcp.example.com/mcp?team=blue";

describe("the credential store", () => {
  it("keeps each server's files 0600 in a 0700 directory, and forgets them on logout", async () => {
    const configDir = join(tempDir(), "mcp-proxy");
    const provider = new FileOAuthProvider(SERVER, { configDir });
    // Nothing is written before there is something to store.
    expect(await provider.tokens()).toBeUndefined();
    expect(() => readdirSync(configDir)).toThrow();

    await provider.saveClientInformation({ client_id: "c1", issuer: "https://as.example.com" });
    await provider.saveCodeVerifier("verifier-1");
    await provider.saveTokens({
      access_token: "a1",
      token_type: "Bearer",
      refresh_token: "r1",
      expires_in: 60,
      scope: "mcp",
      issuer: "https://as.example.com",
    } as OAuthTokens);

    const dir = provider.directory;
    expect(dir).toBe(join(configDir, "oauth", serverDirName(SERVER)));
    expect(mode(join(configDir, "oauth"))).toBe(0o700);
    expect(mode(dir)).toBe(0o700);
    // The verifier served its exchange once tokens arrived.
    expect(readdirSync(dir).sort()).toEqual(["client.json", "server.json", "tokens.json"]);
    for (const file of readdirSync(dir)) expect(mode(join(dir, file))).toBe(0o600);

    // A second provider (another process) reads the same files.
    const again = new FileOAuthProvider(SERVER, { configDir });
    expect((await again.tokens())?.refresh_token).toBe("r1");
    expect((await again.clientInformation())?.client_id).toBe("c1");

    const status = await readOAuthStatus(SERVER, configDir);
    expect(status).toMatchObject({
      url: "https://mcp.example.com/mcp",
      dir,
      clientId: "c1",
      issuer: "https://as.example.com",
      accessToken: true,
      refreshToken: true,
      scope: "mcp",
    });
    expect(status.expiresAt).toBeGreaterThan(Date.now());
    expect(JSON.stringify(status)).not.toMatch(/a1|r1/);
    expect(await listStoredServers(configDir)).toEqual([
      { url: "https://mcp.example.com/mcp", dir },
    ]);

    await again.invalidateCredentials("tokens");
    expect(readdirSync(dir).sort()).toEqual(["client.json", "server.json"]);
    expect(await clearOAuthCredentials(SERVER, configDir)).toBe(true);
    expect(await clearOAuthCredentials(SERVER, configDir)).toBe(false);
    expect(await readOAuthStatus(SERVER, configDir)).toMatchObject({
      accessToken: false,
      refreshToken: false,
    });
  });

  it("keys servers by their whole URL, readable by host", () => {
    expect(serverDirName("https://h.example/a")).not.toBe(serverDirName("https://h.example/b"));
    expect(serverDirName("https://h.example/a#x")).toBe(serverDirName("https://h.example/a"));
    expect(serverDirName("http://127.0.0.1:8080/mcp")).toMatch(/^127\.0\.0\.1_8080-[0-9a-f]{16}$/);
  });

  it("lives under $XDG_CONFIG_HOME/mcp-proxy, else ~/.config/mcp-proxy", () => {
    expect(defaultConfigDir({ XDG_CONFIG_HOME: "/x/config" })).toBe("/x/config/mcp-proxy");
    // A relative XDG_CONFIG_HOME is to be ignored (XDG Base Directory spec).
    expect(defaultConfigDir({ XDG_CONFIG_HOME: "relative" })).toMatch(/\.config\/mcp-proxy$/);
    expect(defaultConfigDir({})).toMatch(/\.config\/mcp-proxy$/);
  });

  it("keeps a client given by id out of the files", async () => {
    const configDir = tempDir();
    const provider = new FileOAuthProvider(SERVER, {
      configDir,
      clientId: "given",
      clientSecret: "s",
    });
    expect(await provider.clientInformation()).toEqual({ client_id: "given", client_secret: "s" });
    expect(provider.clientMetadata.token_endpoint_auth_method).toBe("client_secret_basic");
    await provider.saveClientInformation({ client_id: "given", issuer: "https://as" });
    expect(readdirSync(configDir)).toEqual([]);
  });
});

describe("the lock between processes", () => {
  it("makes a second holder wait until the first releases", async () => {
    const path = join(tempDir(), "lock");
    const releaseFirst = await acquireLock(path, { staleAfter: 60_000 });
    let waiting!: () => void;
    const sawHolder = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    let second = false;
    const secondLock = acquireLock(path, { staleAfter: 60_000, onWait: () => waiting() }).then(
      (release) => {
        second = true;
        return release;
      },
    );
    await sawHolder;
    expect(second).toBe(false);
    await releaseFirst();
    const releaseSecond = await secondLock;
    expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(process.pid);
    await releaseSecond();
    expect(() => readFileSync(path)).toThrow();
  });

  it("breaks a lock whose process is gone", async () => {
    const path = join(tempDir(), "lock");
    const child = spawn(process.execPath, ["-e", ""]);
    const pid = child.pid as number;
    await new Promise((resolve) => child.once("exit", resolve));
    writeFileSync(path, JSON.stringify({ pid, host: hostname(), since: Date.now(), nonce: "old" }));
    const release = await acquireLock(path, { staleAfter: 60_000 });
    expect(JSON.parse(readFileSync(path, "utf8")).nonce).not.toBe("old");
    await release();
  });

  it("breaks a lock held longer than staleAfter, even by a live process", async () => {
    const path = join(tempDir(), "lock");
    const holder = { pid: process.ppid, host: hostname(), since: 0, nonce: "ancient" };
    writeFileSync(path, JSON.stringify(holder));
    const release = await acquireLock(path, { staleAfter: 60_000 });
    expect(JSON.parse(readFileSync(path, "utf8")).nonce).not.toBe("ancient");
    await release();
  });
});

describe("the loopback redirect listener", () => {
  async function listener(): Promise<CallbackListener> {
    const l = await CallbackListener.listen(0);
    closers.push(() => l.close());
    return l;
  }

  it("refuses a redirect with another state and takes the right one", async () => {
    const l = await listener();
    expect(l.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    l.expect("the-state");
    const code = l.waitForCode(new AbortController().signal);
    const forged = await fetch(`${l.url}?code=evil&state=other`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toMatch(/state does not match/);
    expect((await fetch(`${l.url}?code=evil`)).status).toBe(400);
    expect((await fetch(l.url.replace("/callback", "/other"))).status).toBe(404);
    const good = await fetch(`${l.url}?code=the-code&state=the-state`);
    expect(good.status).toBe(200);
    expect(good.headers.get("referrer-policy")).toBe("no-referrer");
    expect(await code).toBe("the-code");
  });

  it("rejects with the authorization server's error", async () => {
    const l = await listener();
    l.expect("s");
    await fetch(`${l.url}?error=access_denied&error_description=no%20thanks&state=s`);
    // The answer came before anyone waited: it is kept for the wait.
    await expect(l.waitForCode(new AbortController().signal)).rejects.toThrow(
      /refused the login: access_denied \(no thanks\)/,
    );
    // The login is over: a second redirect with the same state is refused.
    expect((await fetch(`${l.url}?code=late&state=s`)).status).toBe(400);
  });

  it("stops waiting when aborted", async () => {
    const l = await listener();
    const abort = new AbortController();
    l.expect("s");
    const code = l.waitForCode(abort.signal);
    abort.abort(new Error("gave up"));
    await expect(code).rejects.toThrow("gave up");
  });

  it("says so when the port is taken", async () => {
    const l = await listener();
    const port = Number(new URL(l.url).port);
    await expect(CallbackListener.listen(port)).rejects.toThrow(
      new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port} .*EADDRINUSE`),
    );
  });
});

describe("the browser opener", () => {
  /** A stand-in browser that appends its arguments to `out`. */
  function recorder(): { script: string; out: string } {
    const dir = tempDir();
    const script = join(dir, "browser.mjs");
    const out = join(dir, "opened.jsonl");
    writeFileSync(
      script,
      `#!${process.execPath}\nimport { appendFileSync } from "node:fs";\nappendFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(2)) + "\\n");\n`,
    );
    chmodSync(script, 0o755);
    return { script, out };
  }

  const opened = async (out: string): Promise<string[]> => {
    await waitFor(() => {
      try {
        return readFileSync(out, "utf8").length > 0;
      } catch {
        return false;
      }
    });
    return JSON.parse(readFileSync(out, "utf8").trim()) as string[];
  };

  // Quotes and ampersands must reach the browser as one argument, unchanged.
  const url = "https://as.example/auth?a=1&b='x y'&c=\"z\"";

  it("runs $BROWSER as a program with the URL as its argument", async () => {
    const { script, out } = recorder();
    await openBrowser(url, { ...process.env, BROWSER: script });
    expect(await opened(out)).toEqual([url]);
  });

  it("runs a $BROWSER command line with the URL appended, or in place of %s", async () => {
    const first = recorder();
    await openBrowser(url, { ...process.env, BROWSER: `"${process.execPath}" "${first.script}"` });
    expect(await opened(first.out)).toEqual([url]);
    const second = recorder();
    await openBrowser(url, {
      ...process.env,
      BROWSER: `"${process.execPath}" "${second.script}" --new-tab %s`,
    });
    expect(await opened(second.out)).toEqual(["--new-tab", url]);
  });

  it("rejects when the program does not exist", async () => {
    await expect(
      openBrowser(url, { ...process.env, BROWSER: join(tempDir(), "no-such-browser") }),
    ).rejects.toThrow(/ENOENT/);
  });
});

describe("the transports with an authProvider", () => {
  /** A server that accepts one token, verified by our http-server's `oauth.verify`. */
  async function protectedServer(issuer: string): Promise<HTTPServerHandle> {
    const server = await startHTTPServer({
      port: 0,
      host: "127.0.0.1",
      createUpstream: () =>
        new ChildProcessTransport({ command: process.execPath, args: [ECHO_SERVER] }),
      oauth: {
        issuer,
        verify: (token) =>
          token === "good-token" ? { token, clientId: "c", scopes: [] } : undefined,
      },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    closers.push(() => server.close());
    return server;
  }

  /** An authorization server that only publishes its metadata (the flow never gets further). */
  async function metadataOnlyServer(): Promise<string> {
    const server: Server = createServer((req, res) => {
      if (req.url === "/.well-known/oauth-authorization-server") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            response_types_supported: ["code"],
            code_challenge_methods_supported: ["S256"],
            registration_endpoint: `${issuer}/register`,
          }),
        );
        return;
      }
      if (req.url === "/register") {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ error: "invalid_client_metadata", error_description: "not today" }),
        );
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return issuer;
  }

  /** A plain SDK provider: tokens in memory, a registered client, no login of its own. */
  function plainProvider(token: string | undefined) {
    const redirects: URL[] = [];
    const provider: OAuthClientProvider = {
      redirectUrl: "http://127.0.0.1:1/callback",
      clientMetadata: { redirect_uris: ["http://127.0.0.1:1/callback"] },
      clientInformation: () => ({ client_id: "pre-registered" }),
      tokens: () =>
        token === undefined ? undefined : { access_token: token, token_type: "Bearer" },
      saveTokens: () => {},
      redirectToAuthorization: (url) => {
        redirects.push(url);
      },
      saveCodeVerifier: () => {},
      codeVerifier: () => "v",
    };
    return { provider, redirects };
  }

  async function connect(url: string, authProvider: OAuthClientProvider): Promise<Client> {
    const client = new Client({ name: "oauth-test", version: "1.0.0" });
    const transport = new StreamableHttpClientTransport(url, { authProvider });
    closers.push(() => client.close());
    await client.connect(transport);
    return client;
  }

  it("sends the provider's access token", async () => {
    const server = await protectedServer("http://127.0.0.1:1");
    const { provider, redirects } = plainProvider("good-token");
    const client = await connect(`${server.url}/mcp`, provider);
    const result = await client.callTool({ name: "echo", arguments: { text: "hi" } });
    expect((result.content as Array<{ text: string }>)[0]?.text).toBe("hi");
    expect(redirects).toEqual([]);
  });

  it("fails the request clearly when a plain provider would need a login", async () => {
    const issuer = await metadataOnlyServer();
    const server = await protectedServer(issuer);
    const { provider, redirects } = plainProvider("expired-token");
    const error = await connect(`${server.url}/mcp`, provider).catch((e: unknown) => e);
    expect(String(error)).toMatch(
      /needs an OAuth login, which the authProvider cannot complete by itself/,
    );
    // auth() got as far as the authorization request: PKCE S256 and the resource indicator.
    expect(redirects).toHaveLength(1);
    const authorization = redirects[0] as URL;
    expect(authorization.origin + authorization.pathname).toBe(`${issuer}/authorize`);
    expect(authorization.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorization.searchParams.get("resource")).toBe(`${server.url}/mcp`);
    expect(authorization.searchParams.get("client_id")).toBe("pre-registered");
  });

  it("reports the authorization server's own error", async () => {
    const issuer = await metadataOnlyServer();
    const server = await protectedServer(issuer);
    const { provider } = plainProvider(undefined);
    // No client yet: auth() registers one, and the server refuses.
    const registering = {
      ...provider,
      clientInformation: () => undefined,
      saveClientInformation: () => {},
    };
    const error = await connect(`${server.url}/mcp`, registering).catch((e: unknown) => e);
    expect(String(error)).toMatch(/OAuth authorization with .* failed: not today/);
  });

  it("refuses an authProvider beside another Authorization", () => {
    const { provider } = plainProvider("t");
    expect(
      () =>
        new StreamableHttpClientTransport("http://127.0.0.1:1/mcp", {
          authProvider: provider,
          headers: { Authorization: "Bearer x" },
        }),
    ).toThrow(/an Authorization header or authProvider, not both/);
  });

  it("answers the request that needed the login with a JSON-RPC error", async () => {
    const issuer = await metadataOnlyServer();
    const server = await protectedServer(issuer);
    const { provider } = plainProvider(undefined);
    const transport = new StreamableHttpClientTransport(`${server.url}/mcp`, {
      authProvider: provider,
    });
    closers.push(() => transport.close());
    const answers: unknown[] = [];
    transport.onmessage = (m) => answers.push(m);
    await transport.send(initializeRequest());
    expect(answers).toMatchObject([
      { id: 1, error: { message: expect.stringMatching(/needs an OAuth login/) } },
    ]);
  });
});
