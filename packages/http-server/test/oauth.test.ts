// The proxy as an OAuth 2.1 resource server, against a real authorization
// server (oidc-provider on 127.0.0.1, JWT access tokens bound to a resource
// indicator): metadata, challenges, every token failure, scopes, session
// binding, on Streamable HTTP (2025), 2026-07-28 requests and legacy SSE.
import { startAuthServer, type TestAuthServer, waitFor } from "@mcp-proxy/test-utils";
import { ClientCredentialsProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { decodeJwt, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import Provider from "oidc-provider";
import { describe, expect, it } from "vitest";
import { bearerChallenge, metadataUrlOf } from "../src/challenge.js";
import type { OAuthOptions, StartHTTPServerOptions } from "../src/index.js";
import { discoveryUrls } from "../src/token-verifier.js";
import {
  connectSse,
  connectStreamable,
  initializeBody,
  JSON_HEADERS,
  onCleanup,
  postMcp,
  rawInitialize,
  startEcho,
  textOf,
} from "./helpers.js";
import { modernRequest, postModern } from "./modern-helpers.js";
import { readSse } from "./sse-client.js";

const init = JSON.stringify(initializeBody(1));
const listTools = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list" });

async function authServer(): Promise<TestAuthServer> {
  const as = await startAuthServer(Provider);
  onCleanup(() => as.close());
  return as;
}

interface Protected {
  url: string;
  resource: string;
  as: TestAuthServer;
  /** A token of `client` for this server's /mcp resource (or `resource`), with `scope`. */
  token(
    client?: keyof TestAuthServer["clients"],
    scope?: string,
    resource?: string,
  ): Promise<string>;
}

/** An echo proxy that accepts `as`'s tokens for its /mcp (scope "mcp" required). */
async function protect(
  as: TestAuthServer,
  oauth: Partial<OAuthOptions> = {},
  options: Partial<StartHTTPServerOptions> = {},
): Promise<Protected> {
  const handle = await startEcho({
    oauth: { issuer: as.issuer, scopes: ["mcp"], jwksCooldown: 0, ...oauth },
    ...options,
  });
  const resource = `${handle.url}/mcp`;
  return {
    url: handle.url,
    resource,
    as,
    token: (client = "alice", scope = "mcp", forResource = resource) =>
      as.token(as.clients[client], { resource: forResource, scope }),
  };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The parameters of a `Bearer k="v", …` challenge. */
function challenge(res: Response): Record<string, string> {
  const header = res.headers.get("www-authenticate") ?? "";
  expect(header.startsWith("Bearer")).toBe(true);
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
    params[m[1] as string] = (m[2] as string).replace(/\\(.)/g, "$1");
  return params;
}

async function expectInvalidToken(res: Response, description: RegExp, id: number | null = 1) {
  expect(res.status).toBe(401);
  const params = challenge(res);
  expect(params.error).toBe("invalid_token");
  expect(params.error_description).toMatch(description);
  expect(params.resource_metadata).toMatch(/\/\.well-known\/oauth-protected-resource\/.*mcp$/);
  const body = (await res.json()) as { id: unknown; error: { message: string } };
  expect(body.id).toBe(id);
  expect(body.error.message).toMatch(description);
}

/** A token signed with a key the authorization server never published. */
async function rogueToken(claims: { iss: string; aud: string; sub?: string; scope?: string }) {
  const { privateKey } = await generateKeyPair("ES256");
  return new SignJWT({ scope: claims.scope ?? "mcp", client_id: claims.sub ?? "mallory" })
    .setProtectedHeader({ alg: "ES256", kid: "key-rogue", typ: "at+jwt" })
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setSubject(claims.sub ?? "mallory")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(privateKey);
}

describe("protected resource metadata (RFC 9728)", () => {
  it("is served at the root and per endpoint, unauthenticated, to any origin", async () => {
    const as = await authServer();
    const { url, resource } = await protect(as);
    const expected = {
      authorization_servers: [as.issuer],
      scopes_supported: ["mcp"],
      bearer_methods_supported: ["header"],
    };
    for (const [path, named] of [
      ["", resource],
      ["/mcp", resource],
      ["/sse", `${url}/sse`],
    ]) {
      // A foreign Origin is no reason to refuse a public document (no DNS-rebinding stake).
      const res = await fetch(`${url}/.well-known/oauth-protected-resource${path}`, {
        headers: { Origin: "https://hosted-client.example" },
      });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(await res.json()).toEqual({ resource: named, ...expected });
    }
    const preflight = await fetch(`${url}/.well-known/oauth-protected-resource/mcp`, {
      method: "OPTIONS",
      headers: {
        Origin: "https://hosted-client.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "mcp-protocol-version",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("mcp-protocol-version");
    const post = await fetch(`${url}/.well-known/oauth-protected-resource`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    await post.text();
    // /ping and preflight stay open; the MCP endpoint does not.
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    expect((await fetch(`${url}/mcp`, { method: "OPTIONS" })).status).toBe(204);
  });

  it("an audience behind a TLS terminator fixes every endpoint's resource and the challenge", async () => {
    const as = await authServer();
    const audience = "https://mcp.example.com/team/mcp";
    const { url } = await protect(as, {
      audience,
      resourceMetadata: { resource_name: "Team tools" },
    });
    const mcp = await fetch(`${url}/.well-known/oauth-protected-resource/team/mcp`);
    expect(await mcp.json()).toMatchObject({ resource: audience, resource_name: "Team tools" });
    const local = await fetch(`${url}/.well-known/oauth-protected-resource/mcp`);
    expect(await local.json()).toMatchObject({ resource: audience });
    const sse = await fetch(`${url}/.well-known/oauth-protected-resource/sse`);
    expect(await sse.json()).toMatchObject({ resource: "https://mcp.example.com/team/sse" });
    const refused = await postMcp(url, init);
    expect(challenge(refused).resource_metadata).toBe(
      "https://mcp.example.com/.well-known/oauth-protected-resource/team/mcp",
    );
    await refused.text();
    // A token for the public URL is accepted; one for the local URL is not.
    const good = await as.token(as.clients.alice, { resource: audience });
    const res = await postMcp(url, init, bearer(good));
    expect(res.status).toBe(200);
    await res.text();
    const local2 = await as.token(as.clients.alice, { resource: `${url}/mcp` });
    await expectInvalidToken(
      await postMcp(url, init, bearer(local2)),
      /not issued for this resource/,
    );
  });

  it("refuses unsafe or ambiguous configurations at startup", async () => {
    const issuer = "https://as.example.com";
    await expect(startEcho({ apiKey: "k", oauth: { issuer } })).rejects.toThrow(/apiKey or oauth/);
    await expect(startEcho({ authenticate: () => true, oauth: { issuer } })).rejects.toThrow(
      /authenticate or oauth/,
    );
    await expect(startEcho({ oauth: { issuer: "http://as.example.com" } })).rejects.toThrow(
      /must use https/,
    );
    await expect(startEcho({ host: "0.0.0.0", oauth: { issuer } })).rejects.toThrow(
      /oauth.audience is required/,
    );
    await expect(startEcho({ oauth: { issuer, scopes: ['a"b'] } })).rejects.toThrow(/scope token/);
    await expect(startEcho({ oauth: { issuer, audience: "not a url" } })).rejects.toThrow(
      /not a URL/,
    );
  });
});

describe("Streamable HTTP (2025) with OAuth", () => {
  it("no token: 401 pointing at metadata that names the resource and the issuer, on every method", async () => {
    const as = await authServer();
    const { url, resource } = await protect(as);
    const attempts: RequestInit[] = [
      { method: "POST", headers: JSON_HEADERS, body: init },
      { method: "GET", headers: { Accept: "text/event-stream", "Mcp-Session-Id": "x" } },
      { method: "DELETE", headers: { "Mcp-Session-Id": "x" } },
    ];
    for (const init2 of attempts) {
      const res = await fetch(`${url}/mcp`, init2);
      expect(res.status, init2.method).toBe(401);
      const params = challenge(res);
      // No credentials: no error code (RFC 6750 §3.1), but where to get some.
      expect(params).toEqual({
        resource_metadata: `${url}/.well-known/oauth-protected-resource/mcp`,
        scope: "mcp",
      });
      await res.text();
    }
    const metadata = await (await fetch(`${url}/.well-known/oauth-protected-resource/mcp`)).json();
    expect(metadata).toMatchObject({ resource, authorization_servers: [as.issuer] });
  });

  it("a valid token: initialize, calls, the GET stream and DELETE work", async () => {
    const as = await authServer();
    const server = await protect(as);
    const token = await server.token();
    const client = await connectStreamable(`${server.url}/mcp`, { headers: bearer(token) });
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe("hi");
    const sessionId = await rawInitialize(server.url, bearer(token));
    const get = await fetch(`${server.url}/mcp`, {
      headers: { Accept: "text/event-stream", "Mcp-Session-Id": sessionId, ...bearer(token) },
    });
    expect(get.status).toBe(200);
    await get.body?.cancel();
    const del = await fetch(`${server.url}/mcp`, {
      method: "DELETE",
      headers: { "Mcp-Session-Id": sessionId, ...bearer(token) },
    });
    expect(del.status).toBe(200);
  });

  it("a standard SDK client discovers the authorization server from the 401 and connects", async () => {
    const as = await authServer();
    const server = await protect(as);
    for (const [path, Transport] of [
      ["/mcp", StreamableHTTPClientTransport],
      ["/sse", SSEClientTransport],
    ] as const) {
      // No token at first: the SDK follows resource_metadata to the authorization server and asks
      // for a token bound to the resource the metadata names (its client credentials grant takes
      // the scope from the client's own metadata, not from the challenge).
      const authProvider = new ClientCredentialsProvider({
        clientId: as.clients.alice.id,
        clientSecret: as.clients.alice.secret,
        expectedIssuer: as.issuer,
        scope: "mcp",
      });
      const client = new Client({ name: "sdk", version: "1.0.0" });
      await client.connect(new Transport(new URL(`${server.url}${path}`), { authProvider }));
      onCleanup(() => client.close());
      const text = textOf(await client.callTool({ name: "echo", arguments: { text: path } }));
      expect(text).toBe(path);
      expect(decodeJwt(authProvider.tokens()?.access_token ?? "")).toMatchObject({
        aud: `${server.url}${path}`,
        scope: "mcp",
      });
    }
  });

  it("malformed, unsigned, unknown-key, wrong-audience and wrong-issuer tokens: 401 invalid_token", async () => {
    const as = await authServer();
    const other = await authServer();
    const server = await protect(as);
    await expectInvalidToken(await postMcp(server.url, init, bearer("not-a-token")), /malformed/);
    const unsigned = new UnsecuredJWT({ scope: "mcp" })
      .setIssuer(as.issuer)
      .setAudience(server.resource)
      .setSubject("mallory")
      .setExpirationTime("5m")
      .encode();
    await expectInvalidToken(await postMcp(server.url, init, bearer(unsigned)), /algorithm/);
    const rogue = await rogueToken({ iss: as.issuer, aud: server.resource });
    await expectInvalidToken(await postMcp(server.url, init, bearer(rogue)), /unknown key/);
    const elsewhere = await server.token("alice", "mcp", "https://other-server.example/mcp");
    await expectInvalidToken(
      await postMcp(server.url, init, bearer(elsewhere)),
      /not issued for this resource/,
    );
    const foreign = await other.token(other.clients.alice, { resource: server.resource });
    await expectInvalidToken(await postMcp(server.url, init, bearer(foreign)), /untrusted issuer/);
    // Nothing was fetched from the issuer a token merely claims.
    expect(other.jwksFetches).toBe(0);
  });

  it("an expired token: 401 invalid_token", async () => {
    const as = await authServer();
    const server = await protect(as, { clockTolerance: 0 });
    const token = await server.token("short");
    const exp = decodeJwt(token).exp as number;
    await waitFor(() => Date.now() >= exp * 1000, 4000, 50);
    await expectInvalidToken(await postMcp(server.url, init, bearer(token)), /expired/);
  });

  it("key rotation: the key set is fetched again for a new key; tokens of the retired key fail", async () => {
    const as = await authServer();
    const server = await protect(as);
    const before = await server.token();
    let res = await postMcp(server.url, init, bearer(before));
    expect(res.status).toBe(200);
    await res.text();
    const fetches = as.jwksFetches;
    as.rotateKeys();
    const after = await server.token();
    res = await postMcp(server.url, init, bearer(after));
    expect(res.status).toBe(200);
    await res.text();
    expect(as.jwksFetches).toBe(fetches + 1);
    await expectInvalidToken(await postMcp(server.url, init, bearer(before)), /unknown key/);
  });

  it("the key set is refetched at most once per cooldown for unknown keys", async () => {
    const as = await authServer();
    const server = await protect(as, { jwksCooldown: 60_000 });
    const res = await postMcp(server.url, init, bearer(await server.token()));
    expect(res.status).toBe(200);
    await res.text();
    const fetches = as.jwksFetches;
    for (let i = 0; i < 3; i++) {
      const rogue = await rogueToken({ iss: as.issuer, aud: server.resource });
      await expectInvalidToken(await postMcp(server.url, init, bearer(rogue)), /unknown key/);
    }
    expect(as.jwksFetches).toBe(fetches);
  });

  it("a token from a second configured issuer is accepted", async () => {
    const as = await authServer();
    const second = await authServer();
    const server = await protect(as, { issuer: [as.issuer, second.issuer] });
    const token = await second.token(second.clients.bob, { resource: server.resource });
    const client = await connectStreamable(`${server.url}/mcp`, { headers: bearer(token) });
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "2" } }))).toBe("2");
  });

  it("a missing scope: 403 insufficient_scope naming the scope, with the request id", async () => {
    const as = await authServer();
    const server = await protect(as);
    const token = await server.token("alice", "other");
    const res = await postMcp(server.url, init, bearer(token));
    expect(res.status).toBe(403);
    expect(challenge(res)).toMatchObject({
      error: "insufficient_scope",
      scope: "mcp",
      resource_metadata: `${server.url}/.well-known/oauth-protected-resource/mcp`,
    });
    expect(await res.json()).toMatchObject({ id: 1, error: { message: /lacks the scope mcp/ } });
  });

  it("a session refuses another subject's valid token (404, as an unknown session), on every method", async () => {
    const as = await authServer();
    const server = await protect(as);
    const alice = await server.token("alice");
    const bob = await server.token("bob");
    const sessionId = await rawInitialize(server.url, bearer(alice));
    const post = await postMcp(server.url, listTools(2), {
      "Mcp-Session-Id": sessionId,
      ...bearer(bob),
    });
    expect(post.status).toBe(404);
    expect(await post.json()).toMatchObject({ id: 2 });
    const get = await fetch(`${server.url}/mcp`, {
      headers: { Accept: "text/event-stream", "Mcp-Session-Id": sessionId, ...bearer(bob) },
    });
    expect(get.status).toBe(404);
    await get.text();
    const del = await fetch(`${server.url}/mcp`, {
      method: "DELETE",
      headers: { "Mcp-Session-Id": sessionId, ...bearer(bob) },
    });
    expect(del.status).toBe(404);
    await del.text();
    // The session is intact for its owner, also with a new token of the same subject and client.
    const again = await server.token("alice");
    const mine = await postMcp(server.url, listTools(3), {
      "Mcp-Session-Id": sessionId,
      ...bearer(again),
    });
    expect(mine.status).toBe(200);
    expect(await mine.text()).toContain('"echo"');
  });
});

describe("2026-07-28 requests with OAuth", () => {
  it("no token 401, a valid token served, a missing scope 403, a wrong audience 401", async () => {
    const as = await authServer();
    const server = await protect(as);
    const call = modernRequest(
      "tools/call",
      { name: "echo", arguments: { text: "modern" } },
      { id: 7 },
    );
    const none = await postModern(server.url, call);
    expect(none.status).toBe(401);
    expect(challenge(none).resource_metadata).toBe(
      `${server.url}/.well-known/oauth-protected-resource/mcp`,
    );
    expect(await none.json()).toMatchObject({ id: 7 });
    const ok = await postModern(server.url, call, bearer(await server.token()));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("modern");
    const scope = await postModern(server.url, call, bearer(await server.token("bob", "other")));
    expect(scope.status).toBe(403);
    expect(challenge(scope)).toMatchObject({ error: "insufficient_scope", scope: "mcp" });
    expect(await scope.json()).toMatchObject({ id: 7 });
    const elsewhere = await server.token("alice", "mcp", "https://other.example/mcp");
    const wrong = await postModern(server.url, call, bearer(elsewhere));
    expect(wrong.status).toBe(401);
    expect(challenge(wrong).error).toBe("invalid_token");
    await wrong.text();
  });
});

describe("legacy HTTP+SSE with OAuth", () => {
  /** Opens the SSE stream and returns the messages URL of its session. */
  async function openSse(url: string, token: string): Promise<{ messages: string; res: Response }> {
    const res = await fetch(`${url}/sse`, {
      headers: { Accept: "text/event-stream", ...bearer(token) },
    });
    expect(res.status).toBe(200);
    for await (const event of readSse(res)) {
      if ("event" in event && event.event === "endpoint")
        return { messages: `${url}${event.data}`, res };
    }
    throw new Error("no endpoint event");
  }

  it("the stream and its messages need a valid token; its challenge names the /sse resource", async () => {
    const as = await authServer();
    const server = await protect(as);
    const none = await fetch(`${server.url}/sse`);
    expect(none.status).toBe(401);
    const metadataUrl = challenge(none).resource_metadata as string;
    expect(metadataUrl).toBe(`${server.url}/.well-known/oauth-protected-resource/sse`);
    expect(await (await fetch(metadataUrl)).json()).toMatchObject({
      resource: `${server.url}/sse`,
      authorization_servers: [as.issuer],
    });
    // A token for the /sse resource, as a client that discovered it there asks for.
    const token = await server.token("alice", "mcp", `${server.url}/sse`);
    const client = await connectSse(`${server.url}/sse`, { headers: bearer(token) });
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "sse" } }))).toBe("sse");
    const noScope = await fetch(`${server.url}/sse`, {
      headers: bearer(await server.token("alice", "other")),
    });
    expect(noScope.status).toBe(403);
    expect(challenge(noScope).error).toBe("insufficient_scope");
    await noScope.text();
    const rogue = await rogueToken({ iss: as.issuer, aud: server.resource });
    const bad = await fetch(`${server.url}/sse`, { headers: bearer(rogue) });
    expect(bad.status).toBe(401);
    expect(challenge(bad).error).toBe("invalid_token");
    await bad.text();
  });

  it("message POSTs to another subject's stream are refused (404); the owner's are accepted", async () => {
    const as = await authServer();
    const server = await protect(as);
    const alice = await server.token("alice");
    const { messages, res } = await openSse(server.url, alice);
    onCleanup(async () => res.body?.cancel());
    const body = JSON.stringify(initializeBody(1));
    const none = await fetch(messages, { method: "POST", headers: JSON_HEADERS, body });
    expect(none.status).toBe(401);
    await none.text();
    const bob = await fetch(messages, {
      method: "POST",
      headers: { ...JSON_HEADERS, ...bearer(await server.token("bob")) },
      body,
    });
    expect(bob.status).toBe(404);
    await bob.text();
    const mine = await fetch(messages, {
      method: "POST",
      headers: { ...JSON_HEADERS, ...bearer(alice) },
      body,
    });
    expect(mine.status).toBe(202);
    await mine.text();
  });
});

describe("what handlers see, and what the upstream never sees", () => {
  it("createServer handlers get the token's AuthInfo", async () => {
    const as = await authServer();
    const server = await protect(
      as,
      {},
      {
        createServer: () => {
          const mcp = new McpServer({ name: "who", version: "1.0.0" });
          mcp.registerTool("whoami", { description: "AuthInfo" }, async (extra) => ({
            content: [{ type: "text", text: JSON.stringify(extra.authInfo) }],
          }));
          return mcp.server;
        },
      },
    );
    const token = await server.token("alice");
    const client = await connectStreamable(`${server.url}/mcp`, { headers: bearer(token) });
    const info = JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })));
    expect(info).toMatchObject({
      token,
      clientId: "alice",
      scopes: ["mcp"],
      expiresAt: decodeJwt(token).exp,
      resource: server.resource,
      extra: { iss: as.issuer, sub: "alice", claims: { aud: server.resource, client_id: "alice" } },
    });
  });

  it("the token reaches neither the child's environment nor its arguments nor the log", async () => {
    const as = await authServer();
    const lines: string[] = [];
    const record = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      lines.push(
        `${level} ${message} ${JSON.stringify(fields ?? {}, (_k, v) => (v instanceof Error ? v.message : v))}`,
      );
    const logger = {
      debug: record("debug"),
      info: record("info"),
      warn: record("warn"),
      error: record("error"),
    };
    const server = await protect(as, {}, { logger });
    const token = await server.token("alice");
    const client = await connectStreamable(`${server.url}/mcp`, { headers: bearer(token) });
    const env = textOf(await client.callTool({ name: "env", arguments: { name: "*" } }));
    const argv = textOf(await client.callTool({ name: "argv", arguments: {} }));
    // Refusals are logged too: with a bad token, and a good one on another's session.
    const refused = await postMcp(server.url, init, bearer(`${token}x`));
    await refused.text();
    expect(JSON.parse(env).value).toBeTypeOf("object");
    for (const text of [env, argv, ...lines]) expect(text).not.toContain(token.split(".")[2]);
    expect(lines.some((line) => line.includes("token refused"))).toBe(true);
  });
});

describe("other token kinds", () => {
  it("opaque tokens through RFC 7662 introspection", async () => {
    const as = await authServer();
    const { id, secret } = as.clients.introspector;
    const server = await protect(as, { introspection: { clientId: id, clientSecret: secret } });
    const opaque = await server.token("opaque");
    const client = await connectStreamable(`${server.url}/mcp`, { headers: bearer(opaque) });
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "o" } }))).toBe("o");
    const elsewhere = await server.token("opaque", "mcp", "https://other.example/mcp");
    await expectInvalidToken(await postMcp(server.url, init, bearer(elsewhere)), /not issued/);
    await expectInvalidToken(await postMcp(server.url, init, bearer("made-up")), /not active/);
    // Without introspection an opaque token is just malformed.
    const plain = await protect(as);
    await expectInvalidToken(await postMcp(plain.url, init, bearer(opaque)), /malformed/);
  });

  it("a custom verify: its AuthInfo is used, its scopes checked, its refusal a 401 without its text", async () => {
    const server = await startEcho({
      oauth: {
        issuer: "https://as.example.com",
        scopes: ["mcp"],
        verify: (token) => {
          if (token === "boom") throw new Error("database password is hunter2");
          if (token === "good")
            return { token, clientId: "c", scopes: ["mcp"], extra: { sub: "u" } };
          if (token === "narrow") return { token, clientId: "c", scopes: [] };
          return undefined;
        },
      },
    });
    const good = await postMcp(server.url, init, bearer("good"));
    expect(good.status).toBe(200);
    await good.text();
    const narrow = await postMcp(server.url, init, bearer("narrow"));
    expect(narrow.status).toBe(403);
    await narrow.text();
    for (const token of ["bad", "boom"]) {
      const res = await postMcp(server.url, init, bearer(token));
      expect(res.status).toBe(401);
      expect(challenge(res).error).toBe("invalid_token");
      expect(await res.text()).not.toContain("hunter2");
    }
  });

  it("an unreachable authorization server is 503 with Retry-After, not a 401", async () => {
    const gone = await authServer();
    const issuer = gone.issuer;
    await gone.close();
    const server = await startEcho({ oauth: { issuer, audience: "http://127.0.0.1:1/mcp" } });
    const token = await rogueToken({ iss: issuer, aud: "http://127.0.0.1:1/mcp" });
    const res = await postMcp(server.url, init, bearer(token));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ id: 1 });
  });
});

describe("the reference package's oauth shape", () => {
  it("only adds its challenge fields to the API key's 401; no metadata is served", async () => {
    const server = await startEcho({
      apiKey: "s3cret",
      oauth: {
        protectedResource: { resource: "https://mcp.example.com/mcp" },
        realm: "tools",
        scope: "read write",
        error_uri: "https://docs.example.com/auth",
      },
    });
    const res = await postMcp(server.url, init);
    expect(res.status).toBe(401);
    expect(challenge(res)).toEqual({
      realm: "tools",
      resource_metadata: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
      error_uri: "https://docs.example.com/auth",
      scope: "read write",
    });
    await res.text();
    const wrong = await postMcp(server.url, init, bearer("nope"));
    expect(challenge(wrong)).toMatchObject({ error: "invalid_token", realm: "tools" });
    await wrong.text();
    const ok = await postMcp(server.url, init, { "X-API-Key": "s3cret" });
    expect(ok.status).toBe(200);
    await ok.text();
    const metadata = await fetch(`${server.url}/.well-known/oauth-protected-resource`);
    expect(metadata.status).toBe(404);
    await metadata.text();
  });
});

describe("pure pieces", () => {
  it("discovery URLs in the order the MCP spec has clients try them", () => {
    expect(discoveryUrls("https://as.example.com")).toEqual([
      "https://as.example.com/.well-known/oauth-authorization-server",
      "https://as.example.com/.well-known/openid-configuration",
    ]);
    expect(discoveryUrls("https://as.example.com/tenant/")).toEqual([
      "https://as.example.com/.well-known/oauth-authorization-server/tenant",
      "https://as.example.com/.well-known/openid-configuration/tenant",
      "https://as.example.com/tenant/.well-known/openid-configuration",
    ]);
  });

  it("challenges quote their values and drop control characters", () => {
    expect(bearerChallenge([])).toBe("Bearer");
    expect(
      bearerChallenge([
        ["error", "invalid_token"],
        ["error_description", 'a "quoted" \\ value\r\nX-Injected: 1'],
        ["scope", undefined],
      ]),
    ).toBe(
      'Bearer error="invalid_token", error_description="a \\"quoted\\" \\\\ value  X-Injected: 1"',
    );
  });

  it("metadata URLs put the well-known segment before the resource's path (RFC 9728 §3.1)", () => {
    expect(metadataUrlOf("https://h.example/mcp")).toBe(
      "https://h.example/.well-known/oauth-protected-resource/mcp",
    );
    expect(metadataUrlOf("https://h.example")).toBe(
      "https://h.example/.well-known/oauth-protected-resource",
    );
    // The reference package's fallback for a value that is no URL.
    expect(metadataUrlOf("not a url")).toBe("not a url/.well-known/oauth-protected-resource");
  });
});
