// Upstream tool input schemas, for validating `Mcp-Param-*` headers against
// the tool a request names: fetched with tools/list on first use, trusted for
// a while, and dropped when the upstream says its tools changed.
import type { Call } from "./call.js";
import type { Upstream } from "./upstream.js";
import { META } from "./versions.js";

const MAX_TOOL_PAGES = 20;
/** How long fetched tool input schemas are trusted without a list_changed. */
const TOOL_SCHEMA_TTL_MS = 60_000;

export class ToolSchemaCache {
  readonly #acquire: () => Promise<Upstream<Call>>;
  readonly #requestTimeoutMs: number;
  #tools: Promise<Map<string, unknown>> | undefined;
  #toolsAt = 0;

  constructor(acquire: () => Promise<Upstream<Call>>, requestTimeoutMs: number) {
    this.#acquire = acquire;
    this.#requestTimeoutMs = requestTimeoutMs;
  }

  /** The inputSchema of the upstream tool `name`, or undefined when it has none or no such tool. */
  async get(name: string): Promise<unknown> {
    if (this.#tools && Date.now() - this.#toolsAt > TOOL_SCHEMA_TTL_MS) this.#tools = undefined;
    if (!this.#tools) {
      this.#toolsAt = Date.now();
      const fetching = this.#fetch();
      this.#tools = fetching;
      fetching.catch(() => {
        if (this.#tools === fetching) this.#tools = undefined;
      });
    }
    return (await this.#tools).get(name);
  }

  /** Forgets the schemas (tools list_changed). */
  invalidate(): void {
    this.#tools = undefined;
  }

  async #fetch(): Promise<Map<string, unknown>> {
    const upstream = await this.#acquire();
    const tools = new Map<string, unknown>();
    const modern = upstream.identity?.era === "modern";
    let cursor: unknown;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const params: Record<string, unknown> = {};
      if (cursor !== undefined) params.cursor = cursor;
      if (modern) {
        params._meta = {
          [META.protocolVersion]: upstream.identity?.protocolVersion,
          [META.clientCapabilities]: {},
        };
      }
      const result = (await upstream.request("tools/list", params, this.#requestTimeoutMs)) as {
        tools?: Array<{ name?: unknown; inputSchema?: unknown }>;
        nextCursor?: unknown;
      };
      for (const tool of result.tools ?? []) {
        if (typeof tool.name === "string") tools.set(tool.name, tool.inputSchema);
      }
      cursor = result.nextCursor;
      if (typeof cursor !== "string") break;
    }
    return tools;
  }
}
