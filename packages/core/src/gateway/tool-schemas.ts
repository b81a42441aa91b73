// Upstream tool input schemas, for validating `Mcp-Param-*` headers against
// the tool a request names: fetched with tools/list on first use, trusted for
// a while, and dropped when the upstream says its tools changed.
import type { CapabilityProfile } from "../capability-profile.js";
import { META } from "../protocol/versions.js";
import type { Call } from "./call.js";
import type { Upstream } from "./upstream.js";

const MAX_TOOL_PAGES = 20;
/** How long fetched tool input schemas are trusted without a list_changed. */
const TOOL_SCHEMA_TTL_MS = 60_000;

type Entry = { tools: Promise<Map<string, unknown>>; at: number };

/** Schemas per capability profile: a 2025-era server lists tools by what the client can do. */
export class ToolSchemaCache {
  readonly #acquire: (profile: CapabilityProfile) => Promise<Upstream<Call>>;
  readonly #requestTimeoutMs: number;
  readonly #byProfile = new Map<string, Entry>();

  constructor(
    acquire: (profile: CapabilityProfile) => Promise<Upstream<Call>>,
    requestTimeoutMs: number,
  ) {
    this.#acquire = acquire;
    this.#requestTimeoutMs = requestTimeoutMs;
  }

  /** The inputSchema of the upstream tool `name`, or undefined when it has none or no such tool. */
  async get(name: string, profile: CapabilityProfile): Promise<unknown> {
    let entry = this.#byProfile.get(profile.key);
    if (entry && Date.now() - entry.at > TOOL_SCHEMA_TTL_MS) entry = undefined;
    if (!entry) {
      const fetching = this.#fetch(profile);
      const fresh: Entry = { tools: fetching, at: Date.now() };
      entry = fresh;
      this.#byProfile.set(profile.key, fresh);
      fetching.catch(() => {
        if (this.#byProfile.get(profile.key) === fresh) this.#byProfile.delete(profile.key);
      });
    }
    return (await entry.tools).get(name);
  }

  /** Forgets the schemas (tools list_changed). */
  invalidate(): void {
    this.#byProfile.clear();
  }

  async #fetch(profile: CapabilityProfile): Promise<Map<string, unknown>> {
    const upstream = await this.#acquire(profile);
    const tools = new Map<string, unknown>();
    const modern = upstream.identity?.era === "modern";
    let cursor: unknown;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const params: Record<string, unknown> = {};
      if (cursor !== undefined) params.cursor = cursor;
      if (modern) {
        params._meta = {
          [META.protocolVersion]: upstream.identity?.protocolVersion,
          [META.clientCapabilities]: profile.capabilities,
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
