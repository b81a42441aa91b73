// The pieces of an interactive OAuth login for the stdio front's tests:
// oidc-provider on 127.0.0.1 as the authorization server (dynamic client
// registration, authorization code with PKCE S256, refresh tokens, resource
// indicators giving JWT access tokens for the MCP server, revocation), whose
// login and consent pages finish themselves; our http-server as the protected
// MCP server; and a `$BROWSER` command (fixtures/oauth-browser.mjs) that
// follows the redirects to the loopback callback.
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { ChildProcessTransport } from "@mcp-proxy/core";
import { type HTTPServerHandle, type OAuthOptions, startHTTPServer } from "@mcp-proxy/http-server";
import { echoServerCommand } from "@mcp-proxy/test-utils";
import Provider from "oidc-provider";

const BROWSER_SCRIPT = fileURLToPath(new URL("./fixtures/oauth-browser.mjs", import.meta.url));

/** The parts of oidc-provider's instance the login pages use. */
interface InteractiveProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{
    prompt: { name: string; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId?: string };
    grantId?: string;
  }>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>;
  Grant: (new (fields: {
    accountId: string;
    clientId: string;
  }) => Grant) & {
    find(id: string): Promise<Grant | undefined>;
  };
}

interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}

/** Scopes the resource servers of the test authorization server grant. */
const RESOURCE_SCOPES = "mcp admin";

export interface LoginServer {
  issuer: string;
  /** Lifetime of access tokens issued from now on, s. */
  accessTokenTTL: number;
  /** Revokes a refresh token (and its grant) as the client that holds it would (RFC 7009). */
  revoke(token: string, clientId: string): Promise<void>;
  close(): Promise<void>;
}

function signingKey(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { ...privateKey.export({ format: "jwk" }), alg: "ES256", use: "sig", kid: "login-key" };
}

/** Finishes a login or consent interaction at once, granting what the client asked for. */
async function finishInteraction(
  provider: InteractiveProvider,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === "login") {
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: "test-user" } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  const grant =
    (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
    new provider.Grant({
      accountId: details.session?.accountId ?? "test-user",
      clientId: String(details.params.client_id),
    });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
    grant.addResourceScope(resource, scopes.join(" "));
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { consent: { grantId } },
    { mergeWithLastSubmission: true },
  );
}

/**
 * Drops `scope` from a registration: this authorization server, like many, does not hold a client
 * to the scopes it registered with (a step-up asks for more later). oidc-provider reads a body
 * that was read already from `req.body`.
 */
async function withoutRegisteredScope(req: IncomingMessage): Promise<IncomingMessage> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<
    string,
    unknown
  >;
  delete body.scope;
  return Object.assign(req, { body });
}

/** Starts the authorization server on 127.0.0.1:0. */
export async function startLoginServer(): Promise<LoginServer> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) =>
    res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const state = { accessTokenTTL: 300 };

  const ProviderClass = Provider as unknown as new (
    issuer: string,
    configuration: Record<string, unknown>,
  ) => InteractiveProvider;
  const provider = new ProviderClass(issuer, {
    jwks: { keys: [signingKey()] },
    clientDefaults: { id_token_signed_response_alg: "ES256" },
    cookies: { keys: ["a-test-cookie-signing-key"] },
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id }),
    }),
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) =>
        token.resourceServer?.accessTokenTTL ?? state.accessTokenTTL,
      AuthorizationCode: 60,
      Grant: 3600,
      IdToken: 3600,
      Interaction: 600,
      RefreshToken: 86_400,
      Session: 3600,
    },
    // Every client allowed the refresh grant gets refresh tokens (no offline_access needed).
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed("refresh_token"),
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf?.[0],
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resourceIndicator: string) => ({
          scope: RESOURCE_SCOPES,
          audience: resourceIndicator,
          accessTokenTTL: state.accessTokenTTL,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "ES256" } },
        }),
      },
    },
  });
  const callback = provider.callback();
  handler = (req, res) => {
    const fail = (error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    };
    if (req.url?.startsWith("/interaction/")) {
      finishInteraction(provider, req, res).catch(fail);
      return;
    }
    if (req.method === "POST" && req.url === "/reg") {
      withoutRegisteredScope(req).then((replay) => callback(replay, res), fail);
      return;
    }
    callback(req, res);
  };

  return {
    issuer,
    get accessTokenTTL() {
      return state.accessTokenTTL;
    },
    set accessTokenTTL(seconds: number) {
      state.accessTokenTTL = seconds;
    },
    async revoke(token, clientId) {
      const res = await fetch(`${issuer}/token/revocation`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          token,
          token_type_hint: "refresh_token",
          client_id: clientId,
        }).toString(),
      });
      if (!res.ok) throw new Error(`revocation failed: ${res.status} ${await res.text()}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Starts our http-server as the protected MCP server (echo fixture), its tokens from `issuer`. */
export function startProtectedServer(oauth: OAuthOptions, port = 0): Promise<HTTPServerHandle> {
  return startHTTPServer({
    port,
    host: "127.0.0.1",
    createUpstream: () => new ChildProcessTransport(echoServerCommand()),
    // Expiry is exact here: a test waits until a token is past its `exp`.
    oauth: { clockTolerance: 0, ...oauth },
  });
}

/** The `$BROWSER` value that runs fixtures/oauth-browser.mjs (its log and mode come from the env). */
export function browserCommand(): string {
  return `"${process.execPath}" "${BROWSER_SCRIPT}"`;
}

/** What the browser script recorded, one entry per run. */
export function browserRuns(log: string): Array<Record<string, unknown>> {
  let text = "";
  try {
    text = readFileSync(log, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The `exp` claim of a JWT, s. */
export const expOf = (token: string): number =>
  JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()).exp;
