// The v2 SDK client (@modelcontextprotocol/client), pinned to 2026-07-28, as
// a real independent modern client of the proxy in front of the 2025-era echo
// fixture: discover at connect, tool calls, MRTR auto-fulfilment, listen.

import { waitFor } from "@mcp-proxy/test-utils";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { describe, expect, it } from "vitest";
import { onCleanup, startEcho, textOf } from "./helpers.js";
import { MODERN } from "./modern-helpers.js";

describe("v2 SDK client at 2026-07-28", () => {
  it("discovers, calls tools, answers sampling through input_required and listens", async () => {
    const { url } = await startEcho();
    const client = new Client(
      { name: "v2-client", version: "1.0.0" },
      { capabilities: { sampling: {} }, versionNegotiation: { mode: { pin: MODERN } } },
    );
    const prompts: string[] = [];
    client.setRequestHandler("sampling/createMessage", async (request) => {
      const content = request.params.messages[0]?.content;
      prompts.push(content && "text" in content ? String(content.text) : "");
      return { role: "assistant", content: { type: "text", text: "from v2" }, model: "m" };
    });
    let toolsChanged = 0;
    client.setNotificationHandler("notifications/tools/list_changed", () => {
      toolsChanged++;
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    onCleanup(() => client.close());

    expect(client.getProtocolEra()).toBe("modern");
    expect(client.getServerVersion()?.name).toBeTruthy();

    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("echo");
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "v2" } }))).toBe("v2");
    expect(textOf(await client.callTool({ name: "sample", arguments: { prompt: "hi" } }))).toBe(
      "sampled: from v2",
    );
    expect(prompts).toEqual(["hi"]);

    const subscription = await client.listen({ toolsListChanged: true });
    expect(subscription.honoredFilter).toMatchObject({ toolsListChanged: true });
    await client.callTool({ name: "notify", arguments: {} });
    await waitFor(() => toolsChanged > 0);
    await subscription.close();
  });
});
