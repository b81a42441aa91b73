// Core's translation for a 2025-era local client in front of a 2026-07-28 remote, as
// ModernClientTransport and the discover probe use it (the rules and their own tests live in
// core: legacy-adapter-translate.test.ts); here the shapes this package's HTTP leg relies on.
import {
  initializeResultFromDiscover,
  legacyClientOf,
  legacyResult,
  modernRequestFor,
  sharedModernVersion,
  untaggedNotification,
} from "@mcp-proxy/core/internal";
import { initializeRequest } from "@mcp-proxy/test-utils";
import { describe, expect, it } from "vitest";

const SERVER_INFO = "io.modelcontextprotocol/serverInfo";
const SUBSCRIPTION = "io.modelcontextprotocol/subscriptionId";

describe("2026-07-28 translation for a 2025-era client", () => {
  const client = legacyClientOf(
    initializeRequest({
      capabilities: { sampling: {} },
      clientInfo: { name: "desk", version: "1" },
    }),
  );

  it("answers initialize from a discover result, keeping the client's legacy version", () => {
    const discover = {
      resultType: "complete",
      supportedVersions: ["2026-07-28"],
      capabilities: { tools: {} },
      instructions: "hi",
      _meta: { [SERVER_INFO]: { name: "s", version: "2" } },
    };
    expect(initializeResultFromDiscover(discover, client)).toEqual({
      protocolVersion: "2025-06-18",
      capabilities: { tools: {} },
      serverInfo: { name: "s", version: "2" },
      instructions: "hi",
    });
    const unknown = { ...client, protocolVersion: "1999-01-01" };
    expect(initializeResultFromDiscover(discover, unknown).protocolVersion).toBe("2025-11-25");
    expect(sharedModernVersion(discover)).toBe("2026-07-28");
    expect(sharedModernVersion({ supportedVersions: ["2025-11-25"] })).toBeUndefined();
  });

  it("adds the per-request _meta and keeps the caller's own keys", () => {
    const request = modernRequestFor(
      7,
      "tools/call",
      { name: "x", _meta: { progressToken: 3 } },
      client,
      "info",
    );
    expect(request).toEqual({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: {
        name: "x",
        _meta: {
          progressToken: 3,
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": { sampling: {} },
          "io.modelcontextprotocol/clientInfo": { name: "desk", version: "1" },
          "io.modelcontextprotocol/logLevel": "info",
        },
      },
    });
  });

  it("strips modern-only result fields and the subscription tag", () => {
    expect(
      legacyResult({
        resultType: "complete",
        ttlMs: 0,
        cacheScope: "private",
        tools: [],
        _meta: { [SERVER_INFO]: {}, other: 1 },
      }),
    ).toEqual({ tools: [], _meta: { other: 1 } });
    expect(legacyResult({ resultType: "complete", _meta: { [SERVER_INFO]: {} } })).toEqual({});
    expect(
      untaggedNotification({
        jsonrpc: "2.0",
        method: "notifications/resources/updated",
        params: { uri: "a://b", _meta: { [SUBSCRIPTION]: 4 } },
      }),
    ).toEqual({
      jsonrpc: "2.0",
      method: "notifications/resources/updated",
      params: { uri: "a://b" },
    });
  });
});
