// cli's public surface, name by name (the binary is the product; these serve tools that
// wrap it): a new export (or a lost one) is a decision made here on purpose. Types are the
// compiler's to check.
import { expect, it } from "vitest";

it("exports exactly its public names", async () => {
  expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
    "BASIC_ENV_VARS",
    "DEFAULT_CHILD_REQUEST_TIMEOUT_MS",
    "DEFAULT_CONNECTION_TIMEOUT_MS",
    "DEFAULT_EVENT_STORE_MAX_EVENTS",
    "DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT_MS",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_SSE_ENDPOINT",
    "DEFAULT_STREAM_ENDPOINT",
    "ENV_PREFIX",
    "EXIT_USAGE",
    "FLAGS_BY_MODE",
    "SERVE_FLAGS",
    "STDIO_FLAGS",
    "SUBCOMMANDS",
    "TAP_FLAGS",
    "UsageError",
    "childEnvironment",
    "detectMode",
    "envVarName",
    "flagTableMarkdown",
    "parseArgv",
    "parseCommandLine",
  ]);
});
