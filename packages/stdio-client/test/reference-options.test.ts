// The reference package's option names resolved onto ours: a pure table of
// what maps, what wins, and what is refused (and with which words).
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { describe, expect, it } from "vitest";
import { backoffDelay, maxReconnectAttempts } from "../src/backoff.js";
import {
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_ATTEMPTS,
  type HttpClientOptions,
} from "../src/options.js";
import {
  type ReferenceStdioOptions,
  resolveReferenceOptions,
  resolveVersionNegotiation,
  ServerType,
  unsupportedTransportOptions,
} from "../src/reference-options.js";

type Options = HttpClientOptions &
  ReferenceStdioOptions & {
    url: string;
    transport?: "stream" | "sse" | "auto";
    protocol?: "legacy" | "auto" | "modern";
  };

const url = "http://127.0.0.1:1/mcp";
const resolve = (options: Omit<Options, "url">) => resolveReferenceOptions({ url, ...options });

describe("ServerType and resolveVersionNegotiation", () => {
  it("has the reference's enum values", () => {
    expect(ServerType.SSE).toBe("SSE");
    expect(ServerType.HTTPStream).toBe("HTTPStream");
  });

  it("returns the reference's versionNegotiation per upstreamProtocol", () => {
    expect(resolveVersionNegotiation()).toBeUndefined();
    expect(resolveVersionNegotiation("legacy")).toBeUndefined();
    expect(resolveVersionNegotiation("auto")).toEqual({ mode: "auto" });
    expect(resolveVersionNegotiation("modern")).toEqual({ mode: { pin: "2026-07-28" } });
  });
});

describe("serverType and upstreamProtocol", () => {
  it("map onto transport and protocol, and are gone from the result", () => {
    const sse = resolve({ serverType: ServerType.SSE, upstreamProtocol: "legacy" });
    expect(sse).toEqual({ url, transport: "sse", protocol: "legacy" });
    expect(resolve({ serverType: ServerType.HTTPStream })).toEqual({ url, transport: "stream" });
    expect(resolve({})).toEqual({ url });
  });

  it("may repeat our option with the same value", () => {
    const both = resolve({
      transport: "stream",
      serverType: ServerType.HTTPStream,
      protocol: "modern",
      upstreamProtocol: "modern",
    });
    expect(both).toMatchObject({ transport: "stream", protocol: "modern" });
  });

  it("throws a TypeError naming both when they disagree", () => {
    expect(() => resolve({ transport: "sse", serverType: ServerType.HTTPStream })).toThrow(
      new TypeError('transport "sse" and serverType "HTTPStream" disagree; pass one of them'),
    );
    expect(() => resolve({ transport: "auto", serverType: ServerType.SSE })).toThrow(
      /transport "auto" and serverType "SSE" disagree/,
    );
    expect(() => resolve({ protocol: "auto", upstreamProtocol: "legacy" })).toThrow(
      new TypeError('protocol "auto" and upstreamProtocol "legacy" disagree; pass one of them'),
    );
  });

  it("refuses unknown values by name", () => {
    expect(() => resolve({ serverType: "WebSocket" as ServerType })).toThrow(
      /Unknown serverType "WebSocket"/,
    );
    expect(() => resolve({ upstreamProtocol: "2026" as "auto" })).toThrow(
      /Unknown upstreamProtocol "2026"/,
    );
  });
});

describe("transportOptions.requestInit.headers", () => {
  it("is read as a Headers object, pairs or a record", () => {
    const expected = { "x-team": "blue", authorization: "Bearer t" };
    const forms = [
      new Headers({ "X-Team": "blue", Authorization: "Bearer t" }),
      [
        ["X-Team", "blue"],
        ["Authorization", "Bearer t"],
      ] as [string, string][],
      { "X-Team": "blue", Authorization: "Bearer t" },
    ];
    for (const headers of forms) {
      expect(resolve({ transportOptions: { requestInit: { headers } } }).headers).toEqual(expected);
    }
  });

  it("loses to our headers on a conflict, whatever the case", () => {
    const resolved = resolve({
      headers: { "X-TEAM": "red" },
      transportOptions: { requestInit: { headers: { "x-team": "blue", "x-other": "1" } } },
    });
    expect(resolved.headers).toEqual({ "x-team": "red", "x-other": "1" });
  });

  it("names the option when a header is malformed", () => {
    expect(() =>
      resolve({ transportOptions: { requestInit: { headers: { "bad name": "x" } } } }),
    ).toThrow(/transportOptions\.requestInit\.headers/);
  });
});

describe("transportOptions.reconnectionOptions", () => {
  it("maps onto reconnect (maxRetries counts retries, maxAttempts every try)", () => {
    const resolved = resolve({
      transportOptions: {
        reconnectionOptions: {
          initialReconnectionDelay: 100,
          maxReconnectionDelay: 1_000,
          reconnectionDelayGrowFactor: 1.5,
          maxRetries: 2,
        },
      },
    });
    expect(resolved.reconnect).toEqual({
      initialDelay: 100,
      maxDelay: 1_000,
      growFactor: 1.5,
      maxAttempts: 3,
    });
  });

  it("loses to our reconnect field by field", () => {
    const resolved = resolve({
      reconnect: { maxAttempts: 5, initialDelay: undefined },
      transportOptions: { reconnectionOptions: { initialReconnectionDelay: 10, maxRetries: 0 } },
    });
    expect(resolved.reconnect).toEqual({ initialDelay: 10, maxAttempts: 5 });
  });

  it("refuses values that make no sense, by their own names", () => {
    expect(() =>
      resolve({ transportOptions: { reconnectionOptions: { maxRetries: -1 } } }),
    ).toThrow(/transportOptions\.reconnectionOptions\.maxRetries must be .* at least 0/);
    expect(() =>
      resolve({ transportOptions: { reconnectionOptions: { reconnectionDelayGrowFactor: 0.5 } } }),
    ).toThrow(/reconnectionDelayGrowFactor must be .* at least 1/);
    expect(() => resolve({ reconnect: { maxAttempts: 0 } })).toThrow(
      /reconnect\.maxAttempts must be .* at least 1/,
    );
    expect(() => resolve({ reconnect: { initialDelay: Number.NaN } })).toThrow(
      /reconnect\.initialDelay/,
    );
  });

  it("drives the backoff", () => {
    const top = () => 0.999999;
    const reconnect = { initialDelay: 100, growFactor: 3, maxDelay: 500, maxAttempts: 2 };
    expect(backoffDelay(1, undefined, top, reconnect)).toBe(99);
    expect(backoffDelay(2, undefined, top, reconnect)).toBe(299);
    expect(backoffDelay(3, undefined, top, reconnect)).toBe(499);
    expect(backoffDelay(1, 10_000, top, reconnect)).toBe(500);
    expect(backoffDelay(1, undefined, top)).toBe(DEFAULT_RECONNECT_INITIAL_DELAY_MS - 1);
    expect(maxReconnectAttempts(reconnect)).toBe(2);
    expect(maxReconnectAttempts()).toBe(DEFAULT_RECONNECT_MAX_ATTEMPTS);
  });
});

describe("transportOptions.authProvider", () => {
  const provider = {
    tokens: async () => undefined,
    saveTokens: async () => {},
  } as unknown as OAuthClientProvider;

  it("becomes our authProvider", () => {
    expect(resolve({ transportOptions: { authProvider: provider } })).toEqual({
      url,
      authProvider: provider,
    });
    expect(unsupportedTransportOptions({ authProvider: provider })).toEqual([]);
  });

  it("agrees with authProvider or is refused", () => {
    expect(
      resolve({ authProvider: provider, transportOptions: { authProvider: provider } }),
    ).toEqual({ url, authProvider: provider });
    const other = { ...provider } as OAuthClientProvider;
    expect(() =>
      resolve({ authProvider: other, transportOptions: { authProvider: provider } }),
    ).toThrow(/authProvider and transportOptions\.authProvider disagree/);
  });
});

describe("transportOptions we cannot honour", () => {
  const cases: Array<[string, ReferenceStdioOptions["transportOptions"], RegExp]> = [
    [
      "skipIssuerMetadataValidation",
      { skipIssuerMetadataValidation: true },
      /transportOptions\.skipIssuerMetadataValidation is not supported: OAuth runs the SDK 1\.x auth\(\)/,
    ],
    [
      "an authProvider that is not one",
      { authProvider: { tokens: "x" } },
      /transportOptions\.authProvider must be an OAuthClientProvider/,
    ],
    ["fetch", { fetch: globalThis.fetch }, /transportOptions\.fetch is not supported: .*undici/],
    [
      "eventSourceInit",
      { eventSourceInit: {} },
      /transportOptions\.eventSourceInit is not supported/,
    ],
    ["sessionId", { sessionId: "abc" }, /transportOptions\.sessionId is not supported/],
    [
      "reconnectionScheduler",
      { reconnectionScheduler: () => {} },
      /transportOptions\.reconnectionScheduler is not supported: use transportOptions\.reconnectionOptions/,
    ],
    [
      "requestInit.method",
      { requestInit: { method: "PUT", headers: { a: "b" } } },
      /transportOptions\.requestInit\.method is not supported: only requestInit\.headers/,
    ],
    ["an unknown field", { colour: "blue" } as never, /transportOptions\.colour is not supported/],
  ];

  it.each(cases)("throws a TypeError naming %s", (_name, transportOptions, message) => {
    expect(() => resolve({ transportOptions })).toThrow(TypeError);
    expect(() => resolve({ transportOptions })).toThrow(message);
  });

  it("ignores fields set to undefined", () => {
    const transportOptions = { authProvider: undefined, requestInit: { method: undefined } };
    expect(unsupportedTransportOptions(transportOptions)).toEqual([]);
    expect(resolve({ transportOptions })).toEqual({ url });
  });

  it("are left alone for the SDK transport", () => {
    const transportOptions = { fetch: {}, requestInit: { headers: { a: "b" } } };
    expect(unsupportedTransportOptions(transportOptions).map((u) => u.option)).toEqual([
      "transportOptions.fetch",
    ]);
    // The headers go to the SDK transport with the rest, not into ours.
    expect(resolveReferenceOptions({ url, transportOptions }, { sdkTransport: true })).toEqual({
      url,
    });
  });
});
