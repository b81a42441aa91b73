// The server->client half of MRTR for a 2025-era client: each input request of
// an input_required result becomes a real request to the client (sampling,
// elicitation, roots), with a fresh id, a time limit, and a
// notifications/cancelled when the call that needed it ends first.
// Spec: docs/specification/2026-07-28/basic/patterns/mrtr.mdx.
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, McpProxyError } from "../errors.js";
import { INPUT_KEY_META, INPUT_METHODS } from "../protocol/mrtr.js";
import { inputRequestsOf } from "./translate.js";

type Params = Record<string, unknown>;

/** How long a 2025-era client may take to answer one input request, ms. */
export const DEFAULT_INPUT_TIMEOUT_MS = 5 * 60_000;

/** The client answered one of our input requests with an error: the original request fails with it. */
export class LegacyInputError extends Error {
  override readonly name = "LegacyInputError";
  constructor(readonly error: { code: number; message: string; data?: unknown }) {
    super(error.message);
  }
}

export interface LegacyInputAskerOptions {
  /**
   * Sends a message to the 2025-era client; `relatedRequestId` names the
   * client request the input is for (so a transport can route it to that request's stream).
   */
  deliver: (message: JSONRPCMessage, relatedRequestId?: RequestId) => void;
  /** Per input request. Default DEFAULT_INPUT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Prefix of the ids of our requests to the client. Default "mcp-proxy-input-". */
  idPrefix?: string;
}

export class LegacyInputAsker {
  readonly #deliver: (message: JSONRPCMessage, relatedRequestId?: RequestId) => void;
  readonly #timeoutMs: number;
  readonly #prefix: string;
  #next = 1;
  /** Our requests to the client, waiting for its answer. */
  readonly #waiting = new Map<RequestId, (answer: JSONRPCMessage) => void>();

  constructor(options: LegacyInputAskerOptions) {
    this.#deliver = options.deliver;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_INPUT_TIMEOUT_MS;
    this.#prefix = options.idPrefix ?? "mcp-proxy-input-";
  }

  /** Hands a client response to the request waiting for it; false when nobody waits. */
  answer(message: JSONRPCMessage): boolean {
    const id = (message as { id?: RequestId }).id;
    const resolve = id === undefined ? undefined : this.#waiting.get(id);
    if (!resolve) return false;
    resolve(message);
    return true;
  }

  /** Asks the client every input request of `result`; resolves with `inputResponses` (undefined when none). */
  async askAll(
    result: Params,
    signal: AbortSignal,
    relatedRequestId?: RequestId,
  ): Promise<Params | undefined> {
    const entries = inputRequestsOf(result);
    if (entries.length === 0) return undefined;
    // Each request carries the server's key in _meta[INPUT_KEY_META]: a 2025-era request has no
    // other way to say it, and a proxy in front of the client that serves 2026-07-28 clients (our
    // gateway) reads it to surface the key the server chose instead of one of its own.
    const answers = await Promise.all(
      entries.map(([key, input]) => this.ask(withInputKey(input, key), signal, relatedRequestId)),
    );
    const responses: Params = {};
    entries.forEach(([key], i) => {
      responses[key] = answers[i];
    });
    return responses;
  }

  /** Sends one server->client request to the client and resolves with its result. */
  ask(input: Params, signal: AbortSignal, relatedRequestId?: RequestId): Promise<unknown> {
    const method = input.method;
    if (typeof method !== "string" || !INPUT_METHODS.has(method)) {
      return Promise.reject(
        new McpProxyError(
          ErrorCodes.INVALID_MESSAGE,
          `The server asked for input of an unknown kind: ${String(method)}`,
        ),
      );
    }
    const id = `${this.#prefix}${this.#next++}`;
    return new Promise<unknown>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#waiting.delete(id);
      };
      const onAbort = () => {
        finish();
        // The client may still be asking its user: tell it the question is moot.
        this.#deliver(
          {
            jsonrpc: "2.0",
            method: "notifications/cancelled",
            params: { requestId: id, reason: "The request that needed this input ended" },
          } as JSONRPCMessage,
          relatedRequestId,
        );
        reject(new McpProxyError(ErrorCodes.TRANSPORT_CLOSED, "Request cancelled"));
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new McpProxyError(
            ErrorCodes.TIMEOUT,
            `The client did not answer ${method} in ${this.#timeoutMs} ms`,
          ),
        );
      }, this.#timeoutMs);
      timer.unref?.();
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting.set(id, (answer) => {
        finish();
        const a = answer as { result?: unknown; error?: LegacyInputError["error"] };
        if (a.error) reject(new LegacyInputError(a.error));
        else resolve(a.result ?? {});
      });
      const params = input.params;
      this.#deliver(
        {
          jsonrpc: "2.0",
          id,
          method,
          ...(params !== undefined ? { params } : {}),
        } as JSONRPCMessage,
        relatedRequestId,
      );
    });
  }

  /** Forgets every waiting request (on close); their callers are ended by their signals. */
  clear(): void {
    this.#waiting.clear();
  }
}

function withInputKey(input: Params, key: string): Params {
  const params = isParams(input.params) ? input.params : {};
  const meta = isParams(params._meta) ? params._meta : {};
  return { ...input, params: { ...params, _meta: { ...meta, [INPUT_KEY_META]: key } } };
}

function isParams(value: unknown): value is Params {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
