// Everything the upstream says reaches the client: server->client requests
// (sampling, elicitation, roots), progress with the caller's token, logging,
// list_changed and resources/updated, over both transports.

import { waitFor } from "@mcp-proxy/test-utils";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { type ClientOptions, connectSse, connectStreamable, startEcho, textOf } from "./helpers.js";

const capabilities: ClientOptions = {
  capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
};

function answerServerRequests(client: Client): void {
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
    role: "assistant",
    model: "test-model",
    content: {
      type: "text",
      text: `echo:${(request.params.messages[0]?.content as { text?: string } | undefined)?.text ?? ""}`,
    },
  }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({
    action: "accept",
    content: { name: "Ada" },
  }));
  client.setRequestHandler(ListRootsRequestSchema, async () => ({
    roots: [{ uri: "file:///tmp", name: "tmp" }],
  }));
}

describe.each([
  ["streamable", (url: string) => connectStreamable(`${url}/mcp`, capabilities)],
  ["sse", (url: string) => connectSse(`${url}/sse`, capabilities)],
  ["stateless", (url: string) => connectStreamable(`${url}/mcp`, capabilities)],
])("%s fidelity", (name, connect) => {
  const start = () => startEcho({ stateless: name === "stateless" });

  it("forwards sampling, elicitation and roots requests to the client", async () => {
    const { url } = await start();
    const client = await connect(url);
    answerServerRequests(client);
    expect(textOf(await client.callTool({ name: "sample", arguments: { prompt: "hello" } }))).toBe(
      "sampled: echo:hello",
    );
    expect(textOf(await client.callTool({ name: "elicit", arguments: {} }))).toBe(
      'elicited: accept {"name":"Ada"}',
    );
    expect(textOf(await client.callTool({ name: "roots", arguments: {} }))).toContain(
      "file:///tmp",
    );
  });

  it("delivers progress with the caller's own token", async () => {
    const { url } = await start();
    const client = await connect(url);
    const progress: number[] = [];
    const result = await client.callTool(
      { name: "slow", arguments: { ms: 60, steps: 3 } },
      undefined,
      {
        onprogress: (p) => progress.push(p.progress),
      },
    );
    expect(textOf(result)).toBe("done after 60ms");
    // The SDK client dispatches notifications a microtask late, so a final progress that
    // arrives in the same chunk as the response can be dropped by the client itself.
    expect(progress.slice(0, 2)).toEqual([1, 2]);
    expect(progress.length).toBeGreaterThanOrEqual(2);
  });

  it("delivers log messages, list_changed and resources/updated", async () => {
    const { url } = await start();
    const client = await connect(url);
    const seen: string[] = [];
    client.setNotificationHandler(
      LoggingMessageNotificationSchema,
      (n) => void seen.push(`log:${String(n.params.data)}`),
    );
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void seen.push("tools"));
    client.setNotificationHandler(
      ResourceUpdatedNotificationSchema,
      (n) => void seen.push(`updated:${n.params.uri}`),
    );
    expect(textOf(await client.callTool({ name: "notify", arguments: {} }))).toBe("notified");
    await waitFor(() => seen.length >= 3, 5000);
    expect(seen).toEqual(
      expect.arrayContaining(["log:hello from fixture", "tools", "updated:fixture://greeting"]),
    );
  });
});
