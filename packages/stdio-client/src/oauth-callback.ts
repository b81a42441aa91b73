// The loopback listener that receives the authorization server's redirect
// after a login (RFC 8252 §7.3): 127.0.0.1, an ephemeral port unless one is
// given, one path. A redirect whose `state` is not the login's is refused
// (RFC 6749 §10.12, CSRF) and the wait goes on. The listener does not keep
// the process alive by itself.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";

/** The host of redirect URIs: the IP literal, not `localhost` (RFC 8252 §8.3). */
export const CALLBACK_HOST = "127.0.0.1";
/** The path of redirect URIs. */
export const CALLBACK_PATH = "/callback";

/** The login being waited for: its state, and the outcome once the redirect came. */
interface Expected {
  state: string;
  /** The redirect came: later ones are refused. */
  settled: boolean;
  outcome: Promise<string>;
  resolve: (code: string) => void;
  reject: (error: Error) => void;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class CallbackListener {
  readonly #server: Server;
  readonly url: string;
  #expected: Expected | undefined;
  #closing: Promise<void> | undefined;

  private constructor(server: Server) {
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://${CALLBACK_HOST}:${port}${CALLBACK_PATH}`;
    server.on("request", (req, res) => this.#handle(req, res));
  }

  /** Listens on 127.0.0.1:`port` (0: any free port). Rejects with a clear McpProxyError. */
  static async listen(port: number): Promise<CallbackListener> {
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, CALLBACK_HOST, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw new McpProxyError(
        ErrorCodes.UNAUTHORIZED,
        `Cannot listen on ${CALLBACK_HOST}:${port} for the OAuth redirect (${code ?? String(cause)})${code === "EADDRINUSE" ? ": another program uses that port" : ""}`,
        { cause },
      );
    }
    server.unref();
    return new CallbackListener(server);
  }

  /**
   * Starts accepting the redirect that carries `state` (before the browser is sent off, so that
   * no answer can arrive unexpected); one login at a time.
   */
  expect(state: string): void {
    let resolve!: (code: string) => void;
    let reject!: (error: Error) => void;
    const outcome = new Promise<string>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may wait for a login that failed before anyone asked: not an unhandled rejection.
    outcome.catch(() => {});
    this.#expected = { state, settled: false, outcome, resolve, reject };
  }

  /**
   * Resolves with the authorization code of the expected redirect; rejects when the
   * authorization server answered with an error, or when `signal` aborts (with its reason).
   */
  waitForCode(signal: AbortSignal): Promise<string> {
    const expected = this.#expected;
    if (!expected) return Promise.reject(new Error("No login is expected"));
    return new Promise<string>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener("abort", onAbort, { once: true });
      expected.outcome.then(resolve, reject).finally(() => {
        signal.removeEventListener("abort", onAbort);
      });
    });
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.url);
    if (req.method !== "GET" || url.pathname !== CALLBACK_PATH) {
      this.#page(res, 404, "Not found", "This address only receives the login redirect.");
      return;
    }
    const expected = this.#expected;
    const state = url.searchParams.get("state");
    if (!expected || expected.settled || state === null || state !== expected.state) {
      // Not the login in progress (a forged or stale link): refuse it and keep waiting.
      this.#page(
        res,
        400,
        "Login refused",
        "This redirect does not belong to the login mcp-proxy is waiting for (its state does not match).",
      );
      return;
    }
    expected.settled = true;
    const error = url.searchParams.get("error");
    const code = url.searchParams.get("code");
    if (error !== null || code === null) {
      const description = url.searchParams.get("error_description");
      const reason = `${error ?? "no code"}${description ? ` (${description})` : ""}`;
      this.#page(res, 400, "Login failed", `The authorization server answered: ${reason}.`);
      expected.reject(
        new McpProxyError(
          ErrorCodes.UNAUTHORIZED,
          `The authorization server refused the login: ${reason}`,
        ),
      );
      return;
    }
    this.#page(res, 200, "Logged in", "mcp-proxy is logged in. You can close this tab.");
    expected.resolve(code);
  }

  #page(res: ServerResponse, status: number, title: string, text: string): void {
    res.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      // The address bar holds the code: it must not travel on as a Referer.
      "referrer-policy": "no-referrer",
      connection: "close",
    });
    res.end(
      `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>\n`,
    );
  }
}
