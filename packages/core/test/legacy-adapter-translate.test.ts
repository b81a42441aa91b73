import { describe, expect, it } from "vitest";
import { META } from "../src/index.js";
import {
  initializeResultFromDiscover,
  legacyClientOf,
  legacyResult,
  listChangedFor,
  listenFilterFor,
  modernRequestFor,
  retryParamsFor,
  sharedModernVersion,
  untaggedNotification,
} from "../src/internal.js";

const discover = {
  supportedVersions: ["2026-07-28"],
  capabilities: { tools: { listChanged: true }, resources: { subscribe: true } },
  instructions: "Hi.",
  _meta: { [META.serverInfo]: { name: "s", version: "1" } },
};

describe("legacy adapter translation", () => {
  it("answers initialize from discover with the client's legacy version", () => {
    const client = legacyClientOf({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: { roots: {} },
        clientInfo: { name: "c" },
      },
    });
    expect(initializeResultFromDiscover(discover, client)).toEqual({
      protocolVersion: "2025-06-18",
      capabilities: discover.capabilities,
      serverInfo: { name: "s", version: "1" },
      instructions: "Hi.",
    });
    const unknown = { ...client, protocolVersion: "1999-01-01" };
    expect(initializeResultFromDiscover({}, unknown).protocolVersion).toBe("2025-11-25");
  });

  it("builds modern requests with the reserved _meta keys, keeping the caller's", () => {
    const client = { protocolVersion: "2025-11-25", clientInfo: { name: "c" }, capabilities: {} };
    const request = modernRequestFor(
      7,
      "tools/call",
      { name: "x", _meta: { progressToken: 3 } },
      client,
      "debug",
    );
    expect(request.params?._meta).toEqual({
      progressToken: 3,
      [META.protocolVersion]: "2026-07-28",
      [META.clientCapabilities]: {},
      [META.clientInfo]: { name: "c" },
      [META.logLevel]: "debug",
    });
  });

  it("strips modern-only result fields and serverInfo", () => {
    expect(
      legacyResult({
        tools: [],
        resultType: "complete",
        ttlMs: 5,
        cacheScope: "public",
        _meta: { [META.serverInfo]: {}, other: 1 },
      }),
    ).toEqual({ tools: [], _meta: { other: 1 } });
  });

  it("untags listen notifications", () => {
    expect(
      untaggedNotification({
        jsonrpc: "2.0",
        method: "notifications/resources/updated",
        params: { uri: "u", _meta: { [META.subscriptionId]: "L1" } },
      }),
    ).toEqual({ jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "u" } });
  });

  it("derives the listen filter and the refetch notifications", () => {
    expect(listenFilterFor(discover.capabilities, [])).toEqual({ toolsListChanged: true });
    expect(listenFilterFor({}, [])).toBeUndefined();
    const filter = listenFilterFor(discover.capabilities, ["a"]) as Record<string, unknown>;
    expect(filter).toEqual({ toolsListChanged: true, resourceSubscriptions: ["a"] });
    expect(listChangedFor(filter).map((n) => n.method)).toEqual([
      "notifications/tools/list_changed",
    ]);
  });

  it("builds the MRTR retry with the requestState byte for byte", () => {
    const state = " opaque\u00e9=state ";
    expect(
      retryParamsFor(
        { name: "t" },
        { resultType: "input_required", requestState: state },
        {
          k: { ok: true },
        },
      ),
    ).toEqual({ name: "t", inputResponses: { k: { ok: true } }, requestState: state });
    expect(sharedModernVersion(discover)).toBe("2026-07-28");
    expect(sharedModernVersion({ supportedVersions: ["2030-01-01"] })).toBeUndefined();
  });
});
