// What the proxy knows of a 2026-07-28 remote's tools: their inputSchemas, so
// that a tools/call can mirror `x-mcp-header` arguments into `Mcp-Param-*`
// headers, which only an HTTP hop can carry (a stdio client sends none). A call
// refused with HeaderMismatch for a tool whose schema we had not seen (or which
// changed) lists the tools once and is sent again.
// Spec: docs/specification/2026-07-28/basic/transports/streamable-http.mdx#custom-headers-from-tool-parameters
import { JsonRpcErrorCodes } from "@mcp-proxy/core";
import type { JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import {
  type ModernAnswer,
  type ModernHttp,
  type ModernPostOptions,
  modernPost,
} from "./modern-post.js";

type Params = Record<string, unknown>;

/** Most tools/list pages read to find a tool's schema. */
const MAX_TOOL_PAGES = 20;

/** Builds a tools/list request (params: the cursor, if any) in the caller's client's name. */
export type ToolsListRequest = (params: Params | undefined) => JSONRPCRequest;

export class RemoteTools {
  readonly #http: ModernHttp;
  /** inputSchema by tool name, from tools/list results. */
  readonly #schemas = new Map<string, unknown>();

  constructor(http: ModernHttp) {
    this.#http = http;
  }

  /**
   * POSTs `request` with the `Mcp-Param-*` headers its tool needs, relisting
   * the tools once when the server says they are missing or wrong. Answers to
   * tools/list fill the schema cache on the way.
   */
  async post(
    request: JSONRPCRequest,
    options: Omit<ModernPostOptions, "toolInputSchema">,
    listRequest: ToolsListRequest,
  ): Promise<ModernAnswer> {
    const params = request.params as Params | undefined;
    const tool =
      request.method === "tools/call" && typeof params?.name === "string" ? params.name : undefined;
    const send = () =>
      modernPost(this.#http, request, {
        ...options,
        toolInputSchema: tool === undefined ? undefined : this.#schemas.get(tool),
      });
    let answer = await send();
    if (
      answer.kind === "error" &&
      answer.error.code === JsonRpcErrorCodes.HEADER_MISMATCH &&
      tool !== undefined &&
      !options.signal?.aborted
    ) {
      await this.#relist(listRequest, options.signal);
      if (this.#schemas.get(tool) !== undefined) answer = await send();
    }
    if (answer.kind === "result" && request.method === "tools/list") this.#remember(answer.result);
    return answer;
  }

  /** Fills the cache from a fresh tools/list (all pages, bounded). */
  async #relist(listRequest: ToolsListRequest, signal: AbortSignal | undefined): Promise<void> {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const answer = await modernPost(
        this.#http,
        listRequest(cursor === undefined ? undefined : { cursor }),
        { signal },
      );
      if (answer.kind === "error") return;
      this.#remember(answer.result);
      const next = answer.result.nextCursor;
      if (typeof next !== "string") return;
      cursor = next;
    }
  }

  #remember(result: Params): void {
    if (!Array.isArray(result.tools)) return;
    for (const tool of result.tools as Params[]) {
      if (typeof tool?.name === "string") this.#schemas.set(tool.name, tool.inputSchema);
    }
  }
}
