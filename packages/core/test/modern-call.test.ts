// runModernCall, the one 2025-client -> 2026-server call loop, against a
// scripted server and a client that answers (or refuses) its input requests.
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import {
  LegacyInputAsker,
  type ModernCallAnswer,
  type ModernCallOptions,
  runModernCall,
} from "../src/internal.js";

type Params = Record<string, unknown>;

const inputRequired = (state: string): ModernCallAnswer => ({
  result: {
    resultType: "input_required",
    inputRequests: { confirm: { method: "elicitation/create", params: { message: "Sure?" } } },
    requestState: state,
  },
});

/** An asker whose client answers each input request with `answer` (or an error). */
function askerAnswering(answer: { result?: unknown; error?: { code: number; message: string } }) {
  const related: Array<RequestId | undefined> = [];
  const asker: LegacyInputAsker = new LegacyInputAsker({
    deliver: (message: JSONRPCMessage, relatedRequestId) => {
      related.push(relatedRequestId);
      const id = (message as { id?: RequestId }).id;
      if (id !== undefined)
        queueMicrotask(() => asker.answer({ jsonrpc: "2.0", id, ...answer } as JSONRPCMessage));
    },
  });
  return { asker, related };
}

function options(
  send: ModernCallOptions["send"],
  inputs: LegacyInputAsker,
  extra: Partial<ModernCallOptions> = {},
): ModernCallOptions {
  return { send, inputs, signal: new AbortController().signal, ...extra };
}

describe("runModernCall", () => {
  it("retries with the client's answers and the exact requestState, then answers the 2025 way", async () => {
    const sent: Array<Params | undefined> = [];
    const { asker, related } = askerAnswering({ result: { action: "accept" } });
    const answer = await runModernCall(
      { name: "deploy" },
      options(
        async (params) => {
          sent.push(params);
          return sent.length === 1
            ? inputRequired("opaque-1")
            : { result: { resultType: "complete", content: [] } };
        },
        asker,
        { relatedRequestId: 7 },
      ),
    );
    expect(answer).toEqual({ result: { content: [] } });
    expect(sent).toEqual([
      { name: "deploy" },
      {
        name: "deploy",
        inputResponses: { confirm: { action: "accept" } },
        requestState: "opaque-1",
      },
    ]);
    expect(related).toEqual([7]);
  });

  it("fails the request with the client's error to an input request", async () => {
    const { asker } = askerAnswering({ error: { code: -1, message: "declined" } });
    const answer = await runModernCall(
      undefined,
      options(async () => inputRequired("s"), asker),
    );
    expect(answer).toEqual({ error: { code: -1, message: "declined" } });
  });

  it("passes the server's error on as it is", async () => {
    const { asker } = askerAnswering({ result: {} });
    const error = { code: -32602, message: "bad", data: { why: 1 } };
    expect(
      await runModernCall(
        undefined,
        options(async () => ({ error }), asker),
      ),
    ).toEqual({
      error,
    });
  });

  it("gives up after maxRounds input rounds", async () => {
    const { asker } = askerAnswering({ result: {} });
    let rounds = 0;
    const send = async () => {
      rounds++;
      return inputRequired(`s${rounds}`);
    };
    await expect(runModernCall(undefined, options(send, asker, { maxRounds: 2 }))).rejects.toThrow(
      "The upstream still asked for input after 2 rounds",
    );
    expect(rounds).toBe(3);
  });

  it("answers nothing once aborted", async () => {
    const abort = new AbortController();
    const { asker } = askerAnswering({ result: {} });
    const send = async () => {
      abort.abort();
      return { result: { content: [] } };
    };
    expect(await runModernCall(undefined, options(send, asker, { signal: abort.signal }))).toBe(
      undefined,
    );
  });
});
