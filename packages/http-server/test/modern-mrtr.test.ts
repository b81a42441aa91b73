// Multi round-trip requests through the proxy: the 2025-era echo fixture's
// sampling/createMessage during a modern tools/call comes back as an
// input_required result, and the client's retry answers it.
import { describe, expect, it } from "vitest";
import { startEcho } from "./helpers.js";
import { messagesOf, modernRequest, postModern, resultOf } from "./modern-helpers.js";

const SAMPLING = { sampling: {} };
const sampled = (text: string) => ({
  role: "assistant",
  content: { type: "text", text },
  model: "test-model",
});

async function callSample(url: string, prompt: string): Promise<Record<string, unknown>> {
  const call = modernRequest(
    "tools/call",
    { name: "sample", arguments: { prompt } },
    { capabilities: SAMPLING },
  );
  const res = await postModern(url, call);
  expect(res.status).toBe(200);
  const [message] = await messagesOf(res);
  expect(message).toMatchObject({ id: call.id });
  return resultOf(message);
}

async function retrySample(
  url: string,
  prompt: string,
  first: Record<string, unknown>,
  answer: string,
): Promise<Record<string, unknown>> {
  const [key] = Object.keys(first.inputRequests as object);
  const retry = modernRequest(
    "tools/call",
    {
      name: "sample",
      arguments: { prompt },
      inputResponses: { [key as string]: sampled(answer) },
      requestState: first.requestState,
    },
    { capabilities: SAMPLING },
  );
  const res = await postModern(url, retry);
  const [message] = await messagesOf(res);
  expect(message).toMatchObject({ id: retry.id });
  return resultOf(message);
}

describe("2026-07-28 input_required for a 2025-era upstream", () => {
  it("round-trips an upstream sampling request as input_required and retry", async () => {
    const { url } = await startEcho();
    const first = await callSample(url, "ping?");
    expect(first).toMatchObject({ resultType: "input_required", requestState: expect.any(String) });
    const requests = Object.values(first.inputRequests as Record<string, unknown>);
    expect(requests).toEqual([
      {
        method: "sampling/createMessage",
        params: expect.objectContaining({
          messages: [{ role: "user", content: { type: "text", text: "ping?" } }],
        }),
      },
    ]);
    const final = await retrySample(url, "ping?", first, "pong");
    expect(final).toMatchObject({
      resultType: "complete",
      content: [{ type: "text", text: "sampled: pong" }],
    });
  });

  it("rejects a retry with a tampered or reused requestState", async () => {
    const { url } = await startEcho();
    const first = await callSample(url, "once");
    const tampered = { ...first, requestState: `${String(first.requestState)}-TAMPERED` };
    await expect(retrySample(url, "once", tampered, "x")).rejects.toThrow(/-32602/);
    expect(await retrySample(url, "once", first, "ok")).toMatchObject({ resultType: "complete" });
    await expect(retrySample(url, "once", first, "again")).rejects.toThrow(/-32602/);
  });

  it("answers 400 -32021 when the client did not declare sampling", async () => {
    const { url } = await startEcho();
    const call = modernRequest("tools/call", { name: "sample", arguments: { prompt: "x" } });
    const res = await postModern(url, call);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      id: call.id,
      error: { code: -32021, data: { requiredCapabilities: { sampling: {} } } },
    });
  });

  it("keeps serving interactive calls while an earlier exchange waits for its retry", async () => {
    const { url } = await startEcho();
    const abandoned = await callSample(url, "first");
    const second = await callSample(url, "second");
    expect(second).toMatchObject({ resultType: "input_required" });
    expect(await retrySample(url, "second", second, "two")).toMatchObject({
      content: [{ text: "sampled: two" }],
    });
    expect(await retrySample(url, "first", abandoned, "one")).toMatchObject({
      content: [{ text: "sampled: one" }],
    });
  });
});
