// Both protocol eras through the built binary: a 2026-07-28 request shaped as
// the spec shows, beside a 2025-era SDK session, and --no-modern turning the
// translation off.
import { ECHO_SERVER } from "@mcp-proxy/test-utils";
import { afterEach, expect, it } from "vitest";
import { cleanup, connectClient, postModernCall, startProxy, textOf } from "./helpers.js";

afterEach(cleanup);

const modernCall = (url: string, text: string): Promise<Response> =>
  postModernCall(url, 7, { name: "echo", arguments: { text } });

it("serves a 2026-07-28 request and a 2025-era session on the same /mcp", async () => {
  const proxy = await startProxy(["--", "node", ECHO_SERVER]);
  expect(proxy.stderr()).toContain("2026-07-28");
  const legacy = await connectClient(`${proxy.url}/mcp`);
  try {
    const response = await modernCall(proxy.url, "modern hello");
    expect(response.status).toBe(200);
    expect(response.headers.get("mcp-session-id")).toBeNull();
    const text = await response.text();
    // JSON or a one-event SSE stream: either way the result is in the body.
    const body = JSON.parse(
      text.startsWith("{") ? text : text.split("\ndata: ")[1]!.split("\n")[0]!,
    );
    expect(body).toMatchObject({ id: 7, result: { resultType: "complete" } });
    expect(body.result.content[0].text).toBe("modern hello");
    expect(textOf(await legacy.callTool({ name: "echo", arguments: { text: "2025 hello" } }))).toBe(
      "2025 hello",
    );
  } finally {
    await legacy.close();
  }
});

it("--no-modern serves 2025-era clients only", async () => {
  const proxy = await startProxy(["--no-modern", "--", "node", ECHO_SERVER]);
  expect(proxy.stderr()).toContain("2025-era only");
  const response = await modernCall(proxy.url, "refused");
  // Without translation a sessionless non-initialize request is a 2025-era error.
  expect(response.status).toBe(400);
  const legacy = await connectClient(`${proxy.url}/mcp`);
  try {
    expect(textOf(await legacy.callTool({ name: "echo", arguments: { text: "still" } }))).toBe(
      "still",
    );
  } finally {
    await legacy.close();
  }
});
