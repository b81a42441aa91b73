// A real OAuth 2.1 authorization server for tests: oidc-provider on
// 127.0.0.1:0, issuing JWT access tokens bound to a resource indicator
// (RFC 8707) through the client credentials grant, one client per subject.
// oidc-provider is the caller's devDependency: its class is passed in.
import { generateKeyPairSync } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The part of oidc-provider's Provider class used here. */
export type OidcProviderClass = new (
  issuer: string,
  configuration: Record<string, unknown>,
) => { callback(): (req: IncomingMessage, res: ServerResponse) => void };

/** Scopes every resource server of the test authorization server knows. */
export const AUTH_SERVER_SCOPES = ["mcp", "other"];

export interface AuthServerClient {
  id: string;
  secret: string;
}

export interface TokenRequest {
  /** The resource indicator (RFC 8707): the token's audience. */
  resource: string;
  /** Space-separated scopes. Default "mcp". */
  scope?: string;
}

export interface TestAuthServer {
  issuer: string;
  /**
   * Clients by name; each is its own subject (client credentials: `sub` is the client id).
   * `alice`, `bob`; `short` gets 1-second tokens; `opaque` gets opaque (introspected) tokens;
   * `introspector` is the resource server's own client for introspection.
   */
  clients: Record<"alice" | "bob" | "short" | "opaque" | "introspector", AuthServerClient>;
  /** Asks the token endpoint for an access token; throws on an error answer. */
  token(client: AuthServerClient, request: TokenRequest): Promise<string>;
  /** Replaces the signing key: the key set then holds only the new one (old tokens: unknown key). */
  rotateKeys(): void;
  /** How many times the key set (JWKS) was fetched. */
  readonly jwksFetches: number;
  close(): Promise<void>;
}

function signingKey(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = privateKey.export({ format: "jwk" });
  return { ...jwk, alg: "ES256", use: "sig", kid: `key-${Math.random().toString(36).slice(2)}` };
}

const CLIENT_NAMES = ["alice", "bob", "short", "opaque", "introspector"] as const;

/** Starts the authorization server; its issuer is `http://127.0.0.1:<port>`. */
export async function startAuthServer(Provider: OidcProviderClass): Promise<TestAuthServer> {
  const clients = Object.fromEntries(
    CLIENT_NAMES.map((name) => [name, { id: name, secret: `${name}-secret-0123456789abcdef` }]),
  ) as TestAuthServer["clients"];
  let jwksFetches = 0;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) =>
    res.writeHead(503).end();
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith("/jwks")) jwksFetches++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const configure = () => {
    const provider = new Provider(issuer, {
      clients: CLIENT_NAMES.map((name) => ({
        client_id: clients[name].id,
        client_secret: clients[name].secret,
        grant_types: ["client_credentials"],
        redirect_uris: [],
        response_types: [],
        scope: AUTH_SERVER_SCOPES.join(" "),
      })),
      jwks: { keys: [signingKey()] },
      clientDefaults: { id_token_signed_response_alg: "ES256" },
      scopes: AUTH_SERVER_SCOPES,
      ttl: {
        ClientCredentials: (
          _ctx: unknown,
          token: { resourceServer?: { accessTokenTTL?: number } },
        ) => token.resourceServer?.accessTokenTTL ?? 300,
      },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        // The resource server's own client may introspect every token.
        introspection: { enabled: true, allowedPolicy: async () => true },
        resourceIndicators: {
          enabled: true,
          // Any resource indicator is a resource server here: the tests ask for wrong ones too.
          getResourceServerInfo: (
            _ctx: unknown,
            resourceIndicator: string,
            client: { clientId: string },
          ) => ({
            scope: AUTH_SERVER_SCOPES.join(" "),
            audience: resourceIndicator,
            accessTokenTTL: client.clientId === "short" ? 1 : 300,
            accessTokenFormat: client.clientId === "opaque" ? "opaque" : "jwt",
            jwt: { sign: { alg: "ES256" } },
          }),
        },
      },
    });
    handler = provider.callback();
  };
  configure();

  return {
    issuer,
    clients,
    async token(client, { resource, scope = "mcp" }) {
      const res = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}`,
        },
        body: new URLSearchParams({ grant_type: "client_credentials", scope, resource }).toString(),
      });
      const body = (await res.json()) as { access_token?: string; error?: string };
      if (!res.ok || !body.access_token)
        throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    rotateKeys: configure,
    get jwksFetches() {
      return jwksFetches;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
