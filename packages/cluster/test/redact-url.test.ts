import { describe, expect, it } from "vitest";
import { redactUrl } from "../src/index.js";

describe("redactUrl", () => {
  it.each([
    ["redis://app:hunter2@redis.internal:6379/0", "redis://app:***@redis.internal:6379/0"],
    ["redis://:hunter2@127.0.0.1:6379", "redis://:***@127.0.0.1:6379"],
    ["rediss://app:p%40ss%3Aword@[::1]:6380/2", "rediss://app:***@[::1]:6380/2"],
    // redis-cli reads a lone user part as the password.
    ["redis://hunter2@redis.internal:6379", "redis://***@redis.internal:6379"],
    [
      "redis://redis.internal:6379?password=hunter2&db=1",
      "redis://redis.internal:6379?password=***&db=1",
    ],
    ["redis://127.0.0.1:6379", "redis://127.0.0.1:6379"],
  ])("%s → %s", (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  it("masks the user part of text that is not a URL", () => {
    const redacted = redactUrl("redis://app:hun ter2@redis internal:6379");
    expect(redacted).not.toContain("hun ter2");
    expect(redacted).toBe("redis://***@redis internal:6379");
  });
});
