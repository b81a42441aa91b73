// Endpoint paths that would shadow each other, or the built-in /ping and
// /health, are refused at start instead of silently disabling a transport.
import { describe, expect, it } from "vitest";
import { startHTTPServer } from "../src/index.js";
import { echoUpstream } from "./helpers.js";

const base = { port: 0, host: "127.0.0.1", createUpstream: echoUpstream() };

describe("endpoint paths", () => {
  it("refuses collisions with each other and with built-in paths", async () => {
    await expect(startHTTPServer({ ...base, streamEndpoint: "/ping" })).rejects.toThrow(
      'streamEndpoint "/ping" collides with the built-in /ping',
    );
    await expect(startHTTPServer({ ...base, streamEndpoint: "/messages" })).rejects.toThrow(
      'messagesEndpoint "/messages" collides with streamEndpoint',
    );
    await expect(startHTTPServer({ ...base, sseEndpoint: "/mcp" })).rejects.toThrow(
      'sseEndpoint "/mcp" collides with streamEndpoint',
    );
    await expect(
      startHTTPServer({ ...base, sseEndpoint: "/health", health: () => ({ ok: true }) }),
    ).rejects.toThrow('sseEndpoint "/health" collides with the built-in /health');
  });

  it("accepts a path freed by a disabled transport", async () => {
    const handle = await startHTTPServer({
      ...base,
      sseEndpoint: null,
      streamEndpoint: "/messages",
    });
    const res = await fetch(`${handle.url}/messages`, { method: "GET" });
    // The stream endpoint answers (400: no session), not the legacy messages handler.
    expect(res.status).toBe(400);
    await res.text();
    await handle.close();
  });
});
