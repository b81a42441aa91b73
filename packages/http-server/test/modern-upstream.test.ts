// upstreamProtocol: the modern gateway's shared upstream may itself speak
// 2026-07-28 ("auto" probes with server/discover); then requests, requestState
// and listen notifications pass through, remapped but otherwise untouched.
import { ChildProcessTransport } from "@mcp-proxy/core";
import { fixtureCommand, fixturePath } from "@mcp-proxy/test-utils";
import { describe, expect, it } from "vitest";
import { startEcho } from "./helpers.js";
import { messagesOf, modernRequest, postModern, resultOf, sseMessages } from "./modern-helpers.js";

const modernUpstream = () =>
  new ChildProcessTransport(fixtureCommand(fixturePath("modern-server.mjs")));

describe("upstreamProtocol", () => {
  it("auto: fronts a 2026-07-28 stdio server, passing requestState through byte-exact", async () => {
    const { url } = await startEcho({
      createUpstream: modernUpstream,
      upstreamProtocol: "auto",
      health: () => ({ ok: true }),
    });
    const discover = resultOf(
      (await messagesOf(await postModern(url, modernRequest("server/discover"))))[0],
    );
    expect(discover).toMatchObject({
      instructions: "Modern fixture.",
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "modern-fixture" } },
    });
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({
      modern: { healthy: true, upstreamEra: "modern" },
    });

    const ask = modernRequest(
      "tools/call",
      { name: "ask", arguments: {} },
      { capabilities: { elicitation: {} } },
    );
    const first = resultOf((await messagesOf(await postModern(url, ask)))[0]);
    expect(first).toMatchObject({ resultType: "input_required" });
    expect(String(first.requestState)).toMatch(/^pid=\d+;nonce=/);
    const retry = modernRequest(
      "tools/call",
      {
        name: "ask",
        arguments: {},
        inputResponses: { who: { action: "accept", content: { name: "Ada" } } },
        requestState: first.requestState,
      },
      { capabilities: { elicitation: {} } },
    );
    const final = resultOf((await messagesOf(await postModern(url, retry)))[0]);
    expect(final).toMatchObject({
      content: [{ text: `hello Ada (state ${String(first.requestState)})` }],
    });

    const abort = new AbortController();
    const listen = modernRequest("subscriptions/listen", {
      notifications: { toolsListChanged: true },
    });
    const res = await postModern(url, listen, {}, abort.signal);
    const stream = sseMessages(res);
    expect((await stream.next()).value).toMatchObject({
      method: "notifications/subscriptions/acknowledged",
      params: { _meta: { "io.modelcontextprotocol/subscriptionId": listen.id } },
    });
    await messagesOf(
      await postModern(url, modernRequest("tools/call", { name: "poke", arguments: {} })),
    );
    expect((await stream.next()).value).toMatchObject({
      method: "notifications/tools/list_changed",
      params: { _meta: { "io.modelcontextprotocol/subscriptionId": listen.id } },
    });
    abort.abort();
    await stream.return(undefined).catch(() => undefined);
  });

  it("auto: falls back to initialize for a 2025-era server", async () => {
    const { url } = await startEcho({ upstreamProtocol: "auto", health: () => ({ ok: true }) });
    const call = modernRequest("tools/call", { name: "echo", arguments: { text: "old" } });
    expect(resultOf((await messagesOf(await postModern(url, call)))[0])).toMatchObject({
      content: [{ text: "old" }],
    });
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({
      modern: { upstreamEra: "legacy" },
    });
  });
});
