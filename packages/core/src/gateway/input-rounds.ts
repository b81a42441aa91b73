// The gateway's input rounds with a 2025-era upstream (spec: basic/patterns/mrtr.mdx):
// server->client requests (sampling, elicitation, roots) are attributed to one
// client call, gathered into an input_required result, parked under a
// requestState, and answered upstream when the client retries with
// inputResponses. Cancellation and expiry release the upstream's requests.
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCRequest,
  JSONRPCResultResponse,
} from "@modelcontextprotocol/sdk/types.js";
import { JsonRpcErrorCodes } from "../errors.js";
import { jsonRpcError } from "../jsonrpc.js";
import type { Logger } from "../logger.js";
import {
  INPUT_METHODS,
  inputKeyOf,
  missingCapability,
  requiredCapabilities,
} from "../protocol/mrtr.js";
import { soleMatch } from "../sole-match.js";
import { answerUnattributed } from "../unattributed.js";
import { type Call, capabilitiesOf, endCall, type Round, targetOf } from "./call.js";
import { ParkedRounds } from "./parked-rounds.js";
import { type ModernSink, safeRespond } from "./sink.js";
import type { Upstream } from "./upstream.js";

/** Quiet period that gathers server->client requests sent together into one input_required. */
const INPUT_BATCH_QUIET_MS = 10;
/** Longest the gathering may delay an input_required. */
const INPUT_BATCH_MAX_MS = 50;

/** What the input rounds need from the gateway that owns them. */
export interface InputRoundHooks {
  logger: Logger;
  newRound(
    call: Call,
    request: JSONRPCRequest,
    sink: ModernSink,
    signal: AbortSignal | undefined,
  ): { round: Round; done: Promise<void> };
  /** Delivers the call's final upstream answer to its current round, translated. */
  deliver(call: Call, message: JSONRPCMessage): void;
  /** Sends the round its answer and finishes it. */
  answer(round: Round, message: JSONRPCResultResponse | JSONRPCErrorResponse): void;
  /** Completes a result the 2026 way for `method`. */
  complete(result: Record<string, unknown>, method: string): Record<string, unknown>;
}

export class InputRounds {
  readonly #store: ParkedRounds<Call>;
  readonly #hooks: InputRoundHooks;

  constructor(maxParked: number, ttlMs: number, hooks: InputRoundHooks, statePrefix = "") {
    this.#hooks = hooks;
    this.#store = new ParkedRounds<Call>(
      maxParked,
      ttlMs,
      (call) => this.#expire(call),
      statePrefix,
    );
  }

  /** Forgets every parked round (the gateway is closing). */
  clear(): void {
    this.#store.clear();
  }

  /** Forgets the parked rounds of an upstream that closed. */
  dropUpstream(upstream: Upstream<Call>): void {
    this.#store.dropWhere((call) => call.upstream === upstream);
  }

  /** An MRTR retry: answer the waiting upstream requests, then wait for the original call. */
  async retry(
    request: JSONRPCRequest,
    sink: ModernSink,
    signal: AbortSignal | undefined,
    state: unknown,
  ): Promise<void> {
    const params = request.params as Record<string, unknown>;
    const call = typeof state === "string" ? this.#store.take(state) : undefined;
    if (!call) {
      return safeRespond(
        sink,
        jsonRpcError(
          request.id,
          JsonRpcErrorCodes.INVALID_PARAMS,
          "Unknown or expired requestState; send the request again without requestState and inputResponses",
        ) as JSONRPCErrorResponse,
      );
    }
    if (call.method !== request.method || call.target !== targetOf(params)) {
      this.#store.park(call, state as string);
      return safeRespond(
        sink,
        jsonRpcError(
          request.id,
          JsonRpcErrorCodes.INVALID_PARAMS,
          "requestState belongs to a different request",
        ) as JSONRPCErrorResponse,
      );
    }
    const { round, done } = this.#hooks.newRound(call, request, sink, signal);
    if (call.ended) {
      call.round = round;
      this.#hooks.deliver(call, call.final as JSONRPCMessage);
      return done;
    }
    call.round = round;
    call.capabilities = capabilitiesOf(request);
    const responses = params.inputResponses;
    if (typeof responses === "object" && responses !== null) {
      for (const [key, input] of call.inputs) {
        if (!Object.hasOwn(responses, key)) continue;
        call.inputs.delete(key);
        call.upstream.post({
          jsonrpc: "2.0",
          id: input.serverId,
          result: (responses as Record<string, unknown>)[key],
        } as JSONRPCMessage);
      }
    }
    // Whatever is still missing is asked again (spec: a new InputRequiredResult).
    if (call.inputs.size > 0) this.#queueFlush(call);
    return done;
  }

  /** A request from the upstream to the client: answered here (ping), refused, or queued as an input. */
  onServerRequest(upstream: Upstream<Call>, request: JSONRPCRequest): void {
    const reply = (code: number, text: string): undefined => {
      upstream.post(jsonRpcError(request.id, code, text) as JSONRPCMessage);
    };
    if (request.method === "ping") {
      upstream.post({ jsonrpc: "2.0", id: request.id, result: {} } as JSONRPCMessage);
      return;
    }
    if (!INPUT_METHODS.has(request.method) || upstream.identity?.era === "modern") {
      reply(JsonRpcErrorCodes.METHOD_NOT_FOUND, `Method not found: ${request.method}`);
      return;
    }
    const call = attributeServerRequest(upstream.interactiveCalls);
    if (!call) {
      // No interactive call in flight caused it (e.g. the server's own roots/list after
      // initialization): the proxy answers, and no client's call is failed for it.
      this.#hooks.logger.debug("answering an upstream request no client call caused", {
        method: request.method,
        candidates: upstream.interactiveCalls.size,
      });
      upstream.post(answerUnattributed(request.id, request.method));
      return;
    }
    const params = request.params as Record<string, unknown> | undefined;
    const missing = missingCapability(request.method, params, call.capabilities);
    if (missing) {
      reply(
        JsonRpcErrorCodes.METHOD_NOT_FOUND,
        `The client did not declare the ${missing} capability`,
      );
      // Spec (basic/index.mdx): a request that needs an undeclared client
      // capability ends with MissingRequiredClientCapability (-32021).
      const round = call.round;
      if (round) {
        safeRespond(
          round.sink,
          jsonRpcError(
            round.clientId,
            JsonRpcErrorCodes.MISSING_REQUIRED_CLIENT_CAPABILITY,
            `Missing required client capability: ${missing}`,
            { requiredCapabilities: requiredCapabilities(missing) },
          ) as JSONRPCErrorResponse,
        );
        this.cancel(call, round);
      }
      return;
    }
    const { key, params: surfaced } = inputKeyOf(params, call.inputs, ++call.nextInput);
    call.inputs.set(key, { serverId: request.id, method: request.method, params: surfaced });
    if (call.round) this.#queueFlush(call);
  }

  /** The client went away (closed its stream): cancel upstream, send nothing more. */
  cancel(call: Call, round: Round): void {
    if (call.round !== round) return;
    call.round = undefined;
    round.finish();
    this.#abandon(call, "Request cancelled", "Client closed the request");
  }

  #expire(call: Call): void {
    this.#abandon(
      call,
      "The client did not retry before the exchange expired",
      "Input exchange expired",
    );
  }

  /** Ends a call no client will collect: its pending inputs fail, the upstream request is cancelled. */
  #abandon(call: Call, inputError: string, reason: string): void {
    if (call.ended) return;
    const upstream = call.upstream;
    upstream.remapper.incoming(call.upstreamId);
    this.#failInputs(call, inputError);
    endCall(call);
    upstream.post({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: call.upstreamId, reason },
    });
  }

  #failInputs(call: Call, message: string): void {
    for (const input of call.inputs.values()) {
      call.upstream.post(
        jsonRpcError(input.serverId, JsonRpcErrorCodes.REQUEST_TIMEOUT, message) as JSONRPCMessage,
      );
    }
    call.inputs.clear();
  }

  /**
   * Answers the round with input_required once the upstream's server requests
   * have settled: a short quiet period gathers requests sent together (e.g. a
   * Promise.all of elicitation, sampling and roots) into one result.
   */
  #queueFlush(call: Call): void {
    if (call.flushTimer) clearTimeout(call.flushTimer);
    call.flushStarted ??= Date.now();
    const wait = Date.now() - call.flushStarted >= INPUT_BATCH_MAX_MS ? 0 : INPUT_BATCH_QUIET_MS;
    call.flushTimer = setTimeout(() => {
      call.flushTimer = undefined;
      call.flushStarted = undefined;
      const round = call.round;
      if (!round || call.ended || call.inputs.size === 0) return;
      const state = this.#store.park(call);
      if (state === undefined) {
        safeRespond(
          round.sink,
          jsonRpcError(
            round.clientId,
            JsonRpcErrorCodes.INTERNAL_ERROR,
            "Too many pending input exchanges",
          ) as JSONRPCErrorResponse,
        );
        this.cancel(call, round);
        return;
      }
      const inputRequests: Record<string, unknown> = {};
      for (const [key, input] of call.inputs) {
        inputRequests[key] =
          input.params === undefined
            ? { method: input.method }
            : { method: input.method, params: input.params };
      }
      call.round = undefined;
      this.#hooks.answer(round, {
        jsonrpc: "2.0",
        id: round.clientId,
        result: this.#hooks.complete(
          { resultType: "input_required", inputRequests, requestState: state },
          call.method,
        ),
      } as JSONRPCResultResponse);
    }, wait);
  }
}

/**
 * The interactive call a server->client request belongs to: the only one in
 * flight, or else the only one with a client waiting on it. A parked round
 * (input_required sent, no retry yet) has its upstream blocked on the inputs it
 * asked for, so while another call is live the new request is that call's; a
 * client that never retries would otherwise block attribution until its
 * round expires.
 */
function attributeServerRequest<C extends { round: unknown }>(
  calls: ReadonlySet<C>,
): C | undefined {
  return soleMatch(calls) ?? soleMatch(calls, (call) => Boolean(call.round));
}
