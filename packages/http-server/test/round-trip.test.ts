import { describe, expect, it } from "vitest";
import {
  connectSse,
  connectStreamable,
  pidRecordingEchoUpstream,
  startEcho,
  textOf,
} from "./helpers.js";

describe.each([
  ["streamable", (url: string) => connectStreamable(`${url}/mcp`)],
  ["sse", (url: string) => connectSse(`${url}/sse`)],
])("%s round trips through createUpstream", (_name, connect) => {
  it("lists and calls tools, reads resources, gets prompts, keeps instructions", async () => {
    const handle = await startEcho();
    const client = await connect(handle.url);
    expect(client.getInstructions()).toBe("Fixture server for mcp-proxy tests.");
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("echo");
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe("hi");
    expect(textOf(await client.callTool({ name: "add", arguments: { a: 2, b: 3 } }))).toBe("5");
    const resource = await client.readResource({ uri: "fixture://greeting" });
    expect(resource.contents[0]).toMatchObject({ uri: "fixture://greeting" });
    const prompt = await client.getPrompt({ name: "greet", arguments: { name: "Ada" } });
    expect(JSON.stringify(prompt.messages)).toContain("Ada");
  });
});

describe("upstream per session", () => {
  it("spawns one child per session and the handle reports its address", async () => {
    const pids: number[] = [];
    const handle = await startEcho({
      createUpstream: pidRecordingEchoUpstream(pids),
    });
    expect(handle.port).toBeGreaterThan(0);
    expect(handle.url).toBe(`http://127.0.0.1:${handle.port}`);
    const a = await connectStreamable(`${handle.url}/mcp`);
    const b = await connectStreamable(`${handle.url}/mcp`);
    await a.ping();
    await b.ping();
    expect(new Set(pids).size).toBe(2);
  });
});
