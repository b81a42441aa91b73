// tap's public surface, name by name: a new export (or a lost one) is a decision made
// here on purpose, not a side effect. Types are the compiler's to check.
import { expect, it } from "vitest";

it("exports exactly its public names", async () => {
  expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
    "DEFAULT_MAX_PREVIEW_LENGTH",
    "DEFAULT_REDACT_KEYS",
    "createHumanFormatter",
    "createJsonLinesFormatter",
    "redact",
    "tapTransport",
  ]);
});
