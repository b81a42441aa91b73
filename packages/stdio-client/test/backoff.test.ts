import { describe, expect, it } from "vitest";
import { backoffDelay } from "../src/backoff.js";
import {
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
} from "../src/options.js";

describe("backoffDelay", () => {
  it("draws a random delay up to the exponential bound (full jitter)", () => {
    const top = () => 0.999999;
    expect(backoffDelay(1, undefined, () => 0)).toBe(0);
    expect(backoffDelay(1, undefined, top)).toBe(DEFAULT_RECONNECT_INITIAL_DELAY_MS - 1);
    expect(backoffDelay(3, undefined, top)).toBe(4 * DEFAULT_RECONNECT_INITIAL_DELAY_MS - 1);
    expect(backoffDelay(30, undefined, top)).toBe(DEFAULT_RECONNECT_MAX_DELAY_MS - 1);
    expect(backoffDelay(3, undefined, () => 0.5)).toBe(2 * DEFAULT_RECONNECT_INITIAL_DELAY_MS);
  });

  it("spreads the fronts of one restarted server apart", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it("keeps a server's retry: value, capped", () => {
    expect(backoffDelay(4, 1234)).toBe(1234);
    expect(backoffDelay(1, 10 * DEFAULT_RECONNECT_MAX_DELAY_MS)).toBe(
      DEFAULT_RECONNECT_MAX_DELAY_MS,
    );
  });
});
