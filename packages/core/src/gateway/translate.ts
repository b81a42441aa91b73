// The message-level translation between a modern client and a 2025-era
// upstream: strip the `_meta` keys the upstream would not understand, swap in
// the upstream id and progress token, and complete results the 2026 way.
// Everything is shallow: only the objects on the changed path are copied.
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCResultResponse,
  RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { JsonRpcErrorCodes } from "../errors.js";
import { jsonRpcError } from "../jsonrpc.js";
import { missingCapability } from "../protocol/mrtr.js";
import { META, MODERN_REQUEST_META_KEYS } from "../protocol/versions.js";

/** Methods whose 2026 results are CacheableResult (ttlMs + cacheScope required). */
export const CACHEABLE_METHODS: ReadonlySet<string> = new Set([
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "server/discover",
]);

/** Freshness hint added to cacheable results of a legacy upstream: immediately stale. */
export const DEFAULT_CACHE_TTL_MS = 0;
/** Cache scope added to cacheable results of a legacy upstream: never shared across auth contexts. */
export const DEFAULT_CACHE_SCOPE = "private";

/** Request params of the MRTR retry that never reach a legacy upstream. */
const MRTR_PARAMS = ["inputResponses", "requestState"];

type Params = Record<string, unknown>;

/**
 * Builds the upstream copy of a client request: new id, `_meta` without the
 * modern keys (when `strip`), the progress token replaced by `progressToken`
 * (so tokens of different clients never collide upstream).
 */
export function upstreamRequest(
  request: { method: string; params?: Params },
  upstreamId: RequestId,
  progressToken: RequestId | undefined,
  strip: boolean,
): JSONRPCMessage {
  const params = request.params;
  if (!params) return { jsonrpc: "2.0", id: upstreamId, method: request.method };
  const out: Params = { ...params };
  if (strip) for (const key of MRTR_PARAMS) delete out[key];
  const meta = params._meta as Params | undefined;
  if (meta && typeof meta === "object") {
    const nextMeta: Params = { ...meta };
    if (strip) for (const key of MODERN_REQUEST_META_KEYS) delete nextMeta[key];
    if (progressToken !== undefined) nextMeta.progressToken = progressToken;
    else delete nextMeta.progressToken;
    if (Object.keys(nextMeta).length > 0) out._meta = nextMeta;
    else delete out._meta;
  } else if (progressToken !== undefined) {
    out._meta = { progressToken };
  }
  return { jsonrpc: "2.0", id: upstreamId, method: request.method, params: out } as JSONRPCMessage;
}

/**
 * Completes a legacy result in place for a modern client: `resultType`
 * "complete", serverInfo in `_meta`, and the CacheableResult fields where
 * the method requires them. The result object is freshly parsed and ours.
 */
export function completeResult(result: Params, method: string, serverInfo: unknown): Params {
  if (result.resultType === undefined) result.resultType = "complete";
  if (serverInfo !== undefined) {
    const meta = result._meta;
    if (meta && typeof meta === "object") {
      const m = meta as Params;
      if (m[META.serverInfo] === undefined) m[META.serverInfo] = serverInfo;
    } else {
      result._meta = { [META.serverInfo]: serverInfo };
    }
  }
  if (CACHEABLE_METHODS.has(method)) {
    if (result.ttlMs === undefined) result.ttlMs = DEFAULT_CACHE_TTL_MS;
    if (result.cacheScope === undefined) result.cacheScope = DEFAULT_CACHE_SCOPE;
  }
  return result;
}

/** Reads `params._meta.progressToken` of a request, if valid. */
export function progressTokenOf(request: { params?: Params }): RequestId | undefined {
  const token = (request.params?._meta as Params | undefined)?.progressToken;
  return typeof token === "string" || (typeof token === "number" && Number.isFinite(token))
    ? token
    : undefined;
}

/**
 * Error codes 2026-07-28 forbids (basic/index.mdx#error-codes): -32002
 * (resource not found) becomes -32602; -32042 (URL elicitation required)
 * becomes an input_required carrying the URL elicitations (no requestState:
 * the retry simply runs the request again), or -32021 when the client did
 * not declare URL elicitation. Returns the replacement answer, or undefined
 * when `error` was fixed in place or passes unchanged. `complete` finishes
 * the input_required result for the request's method.
 */
export function translateLegacyError(
  error: { code?: unknown; message?: unknown; data?: unknown },
  clientId: RequestId,
  capabilities: Record<string, unknown>,
  complete: (result: Params) => Params,
): JSONRPCResultResponse | JSONRPCErrorResponse | undefined {
  if (error.code === -32002) {
    error.code = JsonRpcErrorCodes.INVALID_PARAMS;
    return undefined;
  }
  if (error.code !== -32042) return undefined;
  const elicitations = (error.data as { elicitations?: unknown } | undefined)?.elicitations;
  const list = Array.isArray(elicitations) ? elicitations : [];
  if (list.length === 0 || missingCapability("elicitation/create", { mode: "url" }, capabilities)) {
    return jsonRpcError(
      clientId,
      JsonRpcErrorCodes.MISSING_REQUIRED_CLIENT_CAPABILITY,
      String(error.message ?? "URL elicitation required"),
      { requiredCapabilities: { elicitation: { url: {} } } },
    ) as JSONRPCErrorResponse;
  }
  const inputRequests: Record<string, unknown> = {};
  list.forEach((params, i) => {
    inputRequests[`url-${i + 1}`] = { method: "elicitation/create", params };
  });
  return {
    jsonrpc: "2.0",
    id: clientId,
    result: complete({ resultType: "input_required", inputRequests }),
  } as JSONRPCResultResponse;
}
