// One request of a 2025-era client carried out on a 2026-07-28 server: sent
// as a modern request and, while the server answers input_required, its
// inputRequests asked of the client and the request retried with their answers
// and the byte-exact requestState, up to a bound on rounds. The one call loop
// of the 2025-client -> 2026-server direction, whatever carries the requests
// (a Transport in LegacyClientAdapter, HTTP POSTs in stdio-client).
// Spec: docs/specification/2026-07-28/basic/patterns/mrtr.mdx.
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCodes, McpProxyError } from "../errors.js";
import { type LegacyInputAsker, LegacyInputError } from "./input-asker.js";
import { legacyResult, retryParamsFor } from "./translate.js";

type Params = Record<string, unknown>;

/** Most input_required rounds one client request may take before it is failed. */
export const DEFAULT_MAX_INPUT_ROUNDS = 8;

/** A server's answer to one modern request, or what the client is answered in the end. */
export type ModernCallAnswer =
  | { result: Params }
  | { error: { code: number; message: string; data?: unknown } };

export interface ModernCallOptions {
  /** Sends the request once with `params` (the retry's, after the first round) and resolves with the answer. */
  send: (params: Params | undefined) => Promise<ModernCallAnswer>;
  /** Asks the 2025-era client for the input requests of an input_required result. */
  inputs: LegacyInputAsker;
  /** Aborts the call: no round is started or answered after it. */
  signal: AbortSignal;
  /** The client request the input requests are for (a transport may route them by it). */
  relatedRequestId?: RequestId;
  /** Most input_required rounds. Default {@link DEFAULT_MAX_INPUT_ROUNDS}. */
  maxRounds?: number;
}

/**
 * Runs one client request through its input rounds. Resolves with what the client is
 * answered (the final result without modern-only fields, or the server's error, or the
 * client's own error to an input request), or undefined once `signal` aborted. Rejects when
 * the server still asks for input after `maxRounds` rounds, or when `send` fails.
 */
export async function runModernCall(
  params: Params | undefined,
  options: ModernCallOptions,
): Promise<ModernCallAnswer | undefined> {
  const { signal } = options;
  const maxRounds = options.maxRounds ?? DEFAULT_MAX_INPUT_ROUNDS;
  let retry = params;
  for (let round = 0; ; round++) {
    const answer = await options.send(retry);
    if (signal.aborted) return undefined;
    if ("error" in answer) return answer;
    const result = answer.result;
    if (result.resultType !== "input_required") return { result: legacyResult(result) };
    if (round >= maxRounds) {
      throw new McpProxyError(
        ErrorCodes.INTERNAL,
        `The upstream still asked for input after ${maxRounds} rounds`,
      );
    }
    let responses: Params | undefined;
    try {
      responses = await options.inputs.askAll(result, signal, options.relatedRequestId);
    } catch (error) {
      if (signal.aborted) return undefined;
      if (error instanceof LegacyInputError) return { error: error.error };
      throw error;
    }
    if (signal.aborted) return undefined;
    retry = retryParamsFor(params, result, responses);
  }
}
