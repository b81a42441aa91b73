// One shared upstream behind the gateway: owns the Transport, performs the
// handshake itself (2025 `initialize`, or a `server/discover` probe for a
// modern server), issues its own internal requests, and reports every other
// message to the gateway. Client requests are remapped by the gateway through
// this upstream's IdRemapper so many clients can share it.
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, JsonRpcErrorCodes, McpProxyError } from "../errors.js";
import { IdRemapper } from "../jsonrpc.js";
import {
  isLegacyProtocolVersion,
  LATEST_LEGACY_PROTOCOL_VERSION,
  LATEST_MODERN_PROTOCOL_VERSION,
  META,
  type ProtocolEra,
  type ProtocolEraOption,
} from "../protocol/versions.js";

/** What the handshake learned; answers `server/discover`. */
export interface UpstreamIdentity {
  era: ProtocolEra;
  /** Negotiated legacy version, or the modern versions the server listed. */
  protocolVersion: string;
  supportedVersions: string[];
  capabilities: Record<string, unknown>;
  serverInfo: Record<string, unknown> | undefined;
  instructions: string | undefined;
}

export interface UpstreamStartOptions {
  protocol: ProtocolEraOption;
  clientInfo: { name: string; version: string };
  /** The client capabilities to declare in a 2025 `initialize`: exactly those of the callers served. */
  capabilities: Record<string, unknown>;
  initializeTimeoutMs: number;
  probeTimeoutMs: number;
}

interface InternalPending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** An error answer to one of the gateway's own requests. */
export class UpstreamRpcError extends Error {
  override readonly name = "UpstreamRpcError";
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export class Upstream<Owner> {
  readonly remapper = new IdRemapper<Owner>("m");
  identity: UpstreamIdentity | undefined;
  #closed = false;
  #transportClosed = false;
  #nextInternal = 1;
  readonly #internal = new Map<string, InternalPending>();
  readonly #transport: Transport;
  /** Every client request in flight here (incl. parked input rounds): log attribution. */
  readonly calls = new Set<Owner>();
  /** The MRTR-capable ones among them: routing and server->client request attribution. */
  readonly interactiveCalls = new Set<Owner>();
  /** Called when a call leaves `calls` (the pool hands a freed upstream to a waiting call). */
  onCallEnded: (() => void) | undefined;

  constructor(
    transport: Transport,
    readonly onMessage: (upstream: Upstream<Owner>, message: JSONRPCMessage) => void,
    readonly onClosed: (upstream: Upstream<Owner>, error: Error) => void,
  ) {
    this.#transport = transport;
    transport.onmessage = (message) => this.#receive(message as JSONRPCMessage);
    transport.onclose = () =>
      this.#close(new McpProxyError(ErrorCodes.UPSTREAM_CLOSED, "Upstream closed"));
    transport.onerror = () => {
      // Errors that end the transport also fire onclose; others are per-message noise.
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  async start(options: UpstreamStartOptions): Promise<UpstreamIdentity> {
    await this.#transport.start();
    if (options.protocol !== "legacy") {
      const modern = await this.#probe(options);
      if (modern) {
        this.identity = modern;
        return modern;
      }
      if (options.protocol === "modern") {
        throw new McpProxyError(
          ErrorCodes.BAD_REQUEST,
          "Upstream does not speak a modern MCP revision",
        );
      }
    }
    const legacy = await this.#initialize(options);
    this.identity = legacy;
    return legacy;
  }

  async #probe(options: UpstreamStartOptions): Promise<UpstreamIdentity | undefined> {
    let result: Record<string, unknown>;
    try {
      result = (await this.request(
        "server/discover",
        {
          _meta: {
            [META.protocolVersion]: LATEST_MODERN_PROTOCOL_VERSION,
            [META.clientCapabilities]: {},
            [META.clientInfo]: options.clientInfo,
          },
        },
        options.probeTimeoutMs,
      )) as Record<string, unknown>;
    } catch (error) {
      if (this.#closed) throw error;
      // A recognised modern error names a modern server; anything else is legacy.
      if (
        error instanceof UpstreamRpcError &&
        error.code === JsonRpcErrorCodes.UNSUPPORTED_PROTOCOL_VERSION
      ) {
        const supported = (error.data as { supported?: unknown } | undefined)?.supported;
        throw new McpProxyError(
          ErrorCodes.UNSUPPORTED_PROTOCOL_VERSION,
          `Upstream is modern but supports none of our versions: ${JSON.stringify(supported)}`,
        );
      }
      return undefined;
    }
    if (!Array.isArray(result.supportedVersions)) return undefined;
    const meta = result._meta as Record<string, unknown> | undefined;
    return {
      era: "modern",
      protocolVersion: LATEST_MODERN_PROTOCOL_VERSION,
      supportedVersions: result.supportedVersions as string[],
      capabilities: (result.capabilities as Record<string, unknown>) ?? {},
      serverInfo: meta?.[META.serverInfo] as Record<string, unknown> | undefined,
      instructions: typeof result.instructions === "string" ? result.instructions : undefined,
    };
  }

  async #initialize(options: UpstreamStartOptions): Promise<UpstreamIdentity> {
    const result = (await this.request(
      "initialize",
      {
        protocolVersion: LATEST_LEGACY_PROTOCOL_VERSION,
        capabilities: options.capabilities,
        clientInfo: options.clientInfo,
      },
      options.initializeTimeoutMs,
    )) as Record<string, unknown>;
    const version = result.protocolVersion;
    if (!isLegacyProtocolVersion(version)) {
      throw new McpProxyError(
        ErrorCodes.UNSUPPORTED_PROTOCOL_VERSION,
        `Upstream answered initialize with unsupported protocol version ${JSON.stringify(version)}`,
      );
    }
    await this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return {
      era: "legacy",
      protocolVersion: version as string,
      supportedVersions: [version as string],
      capabilities: (result.capabilities as Record<string, unknown>) ?? {},
      serverInfo: result.serverInfo as Record<string, unknown> | undefined,
      instructions: typeof result.instructions === "string" ? result.instructions : undefined,
    };
  }

  /** Sends one of the gateway's own requests and awaits its result. */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    timeoutMs: number,
  ): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(new McpProxyError(ErrorCodes.UPSTREAM_CLOSED, "Upstream closed"));
    }
    const id = `g${this.#nextInternal++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#internal.delete(id);
        reject(
          new McpProxyError(
            ErrorCodes.TIMEOUT,
            `Upstream did not answer ${method} in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#internal.set(id, { resolve, reject, timer });
      const message =
        params === undefined
          ? { jsonrpc: "2.0" as const, id, method }
          : { jsonrpc: "2.0" as const, id, method, params };
      this.send(message).catch((error: unknown) => {
        const pending = this.#internal.get(id);
        if (!pending) return;
        this.#internal.delete(id);
        clearTimeout(pending.timer);
        pending.reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new McpProxyError(ErrorCodes.UPSTREAM_CLOSED, "Upstream closed"));
    }
    return this.#transport.send(message, options);
  }

  /** Best-effort send for notifications and answers: failures surface as close. */
  post(message: JSONRPCMessage): void {
    this.send(message).catch(() => {});
  }

  #receive(message: JSONRPCMessage): void {
    const m = message as { id?: RequestId; method?: unknown; result?: unknown; error?: unknown };
    if (typeof m.method !== "string" && typeof m.id === "string" && m.id.startsWith("g")) {
      const pending = this.#internal.get(m.id);
      if (pending) {
        this.#internal.delete(m.id);
        clearTimeout(pending.timer);
        if (m.error && typeof m.error === "object") {
          const e = m.error as { code?: unknown; message?: unknown; data?: unknown };
          pending.reject(
            new UpstreamRpcError(
              typeof e.code === "number" ? e.code : JsonRpcErrorCodes.INTERNAL_ERROR,
              String(e.message ?? "error"),
              e.data,
            ),
          );
        } else {
          pending.resolve(m.result);
        }
        return;
      }
    }
    this.onMessage(this, message);
  }

  #close(error: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#internal.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#internal.clear();
    this.onClosed(this, error);
  }

  /** Closes the transport (idempotent); pending work is failed through onClosed. */
  async close(): Promise<void> {
    this.#close(new McpProxyError(ErrorCodes.UPSTREAM_CLOSED, "Upstream closed"));
    if (this.#transportClosed) return;
    this.#transportClosed = true;
    await this.#transport.close().catch(() => {});
  }
}
