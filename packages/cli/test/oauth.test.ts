// The "done when", end to end: the built CLI with --oauthIssuer,
// --oauthAudience and --oauthScope in front of the echo fixture, against a
// real authorization server (oidc-provider on 127.0.0.1), on Streamable HTTP,
// 2026-07-28 requests and legacy SSE.
import { createServer } from "node:net";
import { ECHO_SERVER, startAuthServer, type TestAuthServer } from "@mcp-proxy/test-utils";
import Provider from "oidc-provider";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  cleanup,
  connectClient,
  INITIALIZE_BODY,
  postMcp,
  runBin,
  startProxy,
  textOf,
} from "./helpers.js";

const servers: TestAuthServer[] = [];
afterEach(async () => {
  await cleanup();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function authServer(): Promise<TestAuthServer> {
  const as = await startAuthServer(Provider);
  servers.push(as);
  return as;
}

/** A port that was free a moment ago: the audience names it before the proxy listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

function challenge(res: Response): Record<string, string> {
  const params: Record<string, string> = {};
  for (const m of (res.headers.get("www-authenticate") ?? "").matchAll(/(\w+)="([^"]*)"/g))
    params[m[1] as string] = m[2] as string;
  return params;
}

/** The `exp` claim of a JWT (a test reads it; the proxy leaves JWTs to jose). */
const expOf = (token: string): number =>
  JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()).exp;

async function start(as: TestAuthServer, extra: string[] = [], env: Record<string, string> = {}) {
  const port = await freePort();
  const audience = `http://127.0.0.1:${port}/mcp`;
  const proxy = await startProxy(
    [
      "--port",
      String(port),
      "--oauthIssuer",
      as.issuer,
      "--oauthAudience",
      audience,
      "--oauthScope",
      "mcp",
      ...extra,
      "--",
      process.execPath,
      ECHO_SERVER,
    ],
    { env },
  );
  const token = (
    client: keyof TestAuthServer["clients"] = "alice",
    scope = "mcp",
    resource = audience,
  ) => as.token(as.clients[client], { resource, scope });
  return { url: proxy.url, audience, token, proxy };
}

describe("mcp-proxy --oauthIssuer --oauthAudience --oauthScope", () => {
  it("no token: 401 with resource_metadata pointing at metadata naming the resource and the issuer; a valid token works", async () => {
    const as = await authServer();
    const { url, audience, token, proxy } = await start(as);
    expect(proxy.stderr()).toContain(
      `OAuth bearer tokens from ${as.issuer} for ${audience}, scope mcp`,
    );
    const none = await postMcp(url, INITIALIZE_BODY);
    expect(none.status).toBe(401);
    const params = challenge(none);
    expect(params.scope).toBe("mcp");
    expect(params.resource_metadata).toBe(`${url}/.well-known/oauth-protected-resource/mcp`);
    await none.text();
    const metadata = await (await fetch(params.resource_metadata as string)).json();
    expect(metadata).toMatchObject({ resource: audience, authorization_servers: [as.issuer] });

    const client = await connectClient(`${url}/mcp`, "stream", bearer(await token()));
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe("hi");
  });

  it("wrong audience, expired, unknown key, wrong issuer, malformed: 401; missing scope: 403", async () => {
    const as = await authServer();
    const other = await authServer();
    const { url, audience, token } = await start(as);
    const expectInvalid = async (t: string, reason: RegExp) => {
      const res = await postMcp(url, INITIALIZE_BODY, bearer(t));
      expect(res.status).toBe(401);
      expect(challenge(res)).toMatchObject({ error: "invalid_token", scope: "mcp" });
      expect(challenge(res).error_description).toMatch(reason);
      await res.text();
    };
    // Unknown key: a token of a key the authorization server retired before the proxy first
    // fetched its key set (a key the proxy still holds in its cache would pass until it refetches).
    const retired = await token();
    as.rotateKeys();
    await expectInvalid(retired, /unknown key/);
    const fresh = await postMcp(url, INITIALIZE_BODY, bearer(await token()));
    expect(fresh.status).toBe(200);
    await fresh.text();
    await expectInvalid(await token("alice", "mcp", "https://elsewhere.example/mcp"), /not issued/);
    await expectInvalid(
      await other.token(other.clients.alice, { resource: audience }),
      /untrusted issuer/,
    );
    await expectInvalid("not.a-token", /malformed/);
    // Expired: issued by the authorization server ten minutes ago (its clock set back for the
    // request), so its 5-minute lifetime ended beyond the proxy's 60 s of allowed skew.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() - 10 * 60_000);
    const expired = await token().finally(() => vi.useRealTimers());
    expect(expOf(expired) * 1000).toBeLessThan(Date.now() - 60_000);
    await expectInvalid(expired, /expired/);

    const narrow = await postMcp(url, INITIALIZE_BODY, bearer(await token("alice", "other")));
    expect(narrow.status).toBe(403);
    expect(challenge(narrow)).toMatchObject({ error: "insufficient_scope", scope: "mcp" });
    await narrow.text();
  });

  it("one subject's session is refused to another subject's valid token (404)", async () => {
    const as = await authServer();
    const { url, token } = await start(as);
    const alice = await token("alice");
    const init = await postMcp(url, INITIALIZE_BODY, bearer(alice));
    const sessionId = init.headers.get("mcp-session-id") as string;
    await init.text();
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const bob = await postMcp(url, list, {
      "Mcp-Session-Id": sessionId,
      ...bearer(await token("bob")),
    });
    expect(bob.status).toBe(404);
    await bob.text();
    const mine = await postMcp(url, list, { "Mcp-Session-Id": sessionId, ...bearer(alice) });
    expect(mine.status).toBe(200);
    await mine.text();
  });

  it("2026-07-28 requests: 401 without a token, served with one, 403 without the scope", async () => {
    const as = await authServer();
    const { url, token } = await start(as);
    const call = {
      jsonrpc: "2.0",
      id: 5,
      method: "tools/call",
      params: {
        name: "echo",
        arguments: { text: "modern" },
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    };
    const headers = {
      "MCP-Protocol-Version": "2026-07-28",
      "Mcp-Method": "tools/call",
      "Mcp-Name": "echo",
    };
    const none = await postMcp(url, JSON.stringify(call), headers);
    expect(none.status).toBe(401);
    expect(challenge(none).resource_metadata).toBe(
      `${url}/.well-known/oauth-protected-resource/mcp`,
    );
    expect(await none.json()).toMatchObject({ id: 5 });
    const ok = await postMcp(url, JSON.stringify(call), { ...headers, ...bearer(await token()) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("modern");
    const narrow = await postMcp(url, JSON.stringify(call), {
      ...headers,
      ...bearer(await token("bob", "other")),
    });
    expect(narrow.status).toBe(403);
    expect(await narrow.json()).toMatchObject({ id: 5 });
  });

  it("legacy SSE: 401 without a token, a session with one, refused to another subject", async () => {
    const as = await authServer();
    const { url, token } = await start(as);
    const none = await fetch(`${url}/sse`);
    expect(none.status).toBe(401);
    expect(challenge(none).resource_metadata).toBe(
      `${url}/.well-known/oauth-protected-resource/sse`,
    );
    await none.text();
    const alice = await token("alice", "mcp", `${url}/sse`);
    const client = await connectClient(`${url}/sse`, "sse", bearer(alice));
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "sse" } }))).toBe("sse");

    const stream = await fetch(`${url}/sse`, { headers: bearer(alice) });
    const reader = stream.body!.getReader();
    let text = "";
    while (!text.includes("sessionId="))
      text += new TextDecoder().decode((await reader.read()).value);
    const messages = `${url}${/data: (\/messages\?sessionId=\S+)/.exec(text)?.[1]}`;
    const post = (auth: Record<string, string>) =>
      fetch(messages, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body: INITIALIZE_BODY,
      });
    const bob = await post(bearer(await token("bob")));
    expect(bob.status).toBe(404);
    await bob.text();
    const mine = await post(bearer(alice));
    expect(mine.status).toBe(202);
    await mine.text();
    await reader.cancel();
  });

  it("the token reaches neither the child's environment nor its arguments; the OAuth variables neither", async () => {
    const as = await authServer();
    const { url, token } = await start(as, [], { MCP_PROXY_OAUTH_SCOPE: "mcp" });
    const t = await token();
    const client = await connectClient(`${url}/mcp`, "stream", bearer(t));
    const env = JSON.parse(
      textOf(await client.callTool({ name: "env", arguments: { name: "*" } })),
    );
    const argv = textOf(await client.callTool({ name: "argv", arguments: {} }));
    const everything = JSON.stringify(env.value) + argv;
    expect(everything).not.toContain(t);
    expect(everything).not.toContain("MCP_PROXY_OAUTH");
    expect(everything).not.toContain(as.issuer);
  });

  it("refuses an issuer that is not https (unless loopback) with a usage error", async () => {
    const r = await runBin(["--oauthIssuer", "http://auth.example.com", "--", "node", ECHO_SERVER]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'mcp-proxy: --oauthIssuer must be an https URL (http only on a loopback address), got "http://auth.example.com"',
    );
  });
});
