// subscriptions/listen and cancellation for 2026-07-28 clients in front of the
// 2025-era echo fixture: a listen stream gets exactly the change notifications
// it opted into, tagged with its subscription id; closing a response stream
// sends notifications/cancelled upstream.
import type { ChildProcessTransport } from "@mcp-proxy/core";
import { isAlive, waitFor } from "@mcp-proxy/test-utils";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { echoUpstream, startEcho } from "./helpers.js";
import {
  listen,
  messagesOf,
  modernRequest,
  postModern,
  recordingEchoUpstream,
  resultOf,
  sseMessages,
} from "./modern-helpers.js";

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

const notify = async (url: string) => {
  const res = await postModern(url, modernRequest("tools/call", { name: "notify", arguments: {} }));
  expect(resultOf((await messagesOf(res))[0])).toMatchObject({ content: [{ text: "notified" }] });
};

describe("2026-07-28 subscriptions/listen", () => {
  it("delivers tools list_changed and resource updates, and nothing not asked for", async () => {
    const sent: JSONRPCMessage[] = [];
    const { url } = await startEcho({ createUpstream: recordingEchoUpstream(sent) });
    const both = await listen(url, {
      toolsListChanged: true,
      resourceSubscriptions: ["fixture://greeting"],
    });
    const toolsOnly = await listen(url, { toolsListChanged: true });
    const promptsOnly = await listen(url, { promptsListChanged: true });
    expect(both.received[0]).toMatchObject({
      method: "notifications/subscriptions/acknowledged",
      params: {
        notifications: { toolsListChanged: true, resourceSubscriptions: ["fixture://greeting"] },
        _meta: { [SUBSCRIPTION_ID]: both.id },
      },
    });
    // One upstream resources/subscribe for the URI.
    expect(
      sent.filter((m) => (m as { method?: string }).method === "resources/subscribe"),
    ).toHaveLength(1);

    await notify(url);
    await waitFor(() => both.received.length >= 3 && toolsOnly.received.length >= 2);
    // A second notify is a marker: whatever the first sent toolsOnly arrives before its second list_changed.
    await notify(url);
    await waitFor(() => both.received.length >= 5 && toolsOnly.received.length >= 3);

    expect(both.methods()).toEqual([
      "notifications/subscriptions/acknowledged",
      "notifications/tools/list_changed",
      "notifications/resources/updated",
      "notifications/tools/list_changed",
      "notifications/resources/updated",
    ]);
    for (const message of both.received) {
      expect(message).toMatchObject({ params: { _meta: { [SUBSCRIPTION_ID]: both.id } } });
    }
    expect(both.received[2]).toMatchObject({ params: { uri: "fixture://greeting" } });
    expect(toolsOnly.methods()).toEqual([
      "notifications/subscriptions/acknowledged",
      "notifications/tools/list_changed",
      "notifications/tools/list_changed",
    ]);
    // The fixture declares no prompts listChanged: acknowledged with nothing agreed, then silence.
    expect(promptsOnly.methods()).toEqual(["notifications/subscriptions/acknowledged"]);

    await both.close();
    await toolsOnly.close();
    await promptsOnly.close();
    await waitFor(() =>
      sent.some((m) => (m as { method?: string }).method === "resources/unsubscribe"),
    );
  });
});

describe("2026-07-28 cancellation", () => {
  it("sends notifications/cancelled upstream when the client closes the response stream", async () => {
    const sent: JSONRPCMessage[] = [];
    const { url } = await startEcho({ createUpstream: recordingEchoUpstream(sent) });
    const abort = new AbortController();
    const call = modernRequest(
      "tools/call",
      { name: "slow", arguments: { ms: 20_000, steps: 200 } },
      { meta: { progressToken: "p-1" } },
    );
    const res = await postModern(url, call, {}, abort.signal);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const stream = sseMessages(res);
    const first = await stream.next();
    expect(first.value).toMatchObject({
      method: "notifications/progress",
      params: { progressToken: "p-1" },
    });
    abort.abort();
    await stream.return(undefined).catch(() => undefined);

    const upstreamCall = sent.find((m) => (m as { method?: string }).method === "tools/call") as {
      id: string;
    };
    await waitFor(() =>
      sent.some(
        (m) =>
          (m as { method?: string }).method === "notifications/cancelled" &&
          (m as { params?: { requestId?: unknown } }).params?.requestId === upstreamCall.id,
      ),
    );
    // The shared upstream carries on for the next request.
    const echo = modernRequest("tools/call", { name: "echo", arguments: { text: "after" } });
    expect(resultOf((await messagesOf(await postModern(url, echo)))[0])).toMatchObject({
      content: [{ text: "after" }],
    });
  });
});

describe("2026-07-28 shutdown", () => {
  it("close() ends listen streams with their result and stops the shared upstream", async () => {
    const children: ChildProcessTransport[] = [];
    const handle = await startEcho({
      createUpstream: () => {
        const child = echoUpstream()();
        children.push(child);
        return child;
      },
    });
    const listener = await listen(handle.url, { toolsListChanged: true });
    expect(children).toHaveLength(1);
    const pid = children[0]?.pid as number;
    expect(isAlive(pid)).toBe(true);
    await handle.close();
    await waitFor(() => listener.received.length >= 2);
    expect(listener.received[1]).toMatchObject({
      id: listener.id,
      result: { _meta: { [SUBSCRIPTION_ID]: listener.id } },
    });
    await listener.close();
    await waitFor(() => !isAlive(pid));
  });
});
