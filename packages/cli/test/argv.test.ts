import { describe, expect, it } from "vitest";
import { detectMode, parseArgv } from "../src/argv.js";
import { SERVE_FLAGS, STDIO_FLAGS } from "../src/flags.js";
import { UsageError } from "../src/usage-error.js";

const serve = (argv: string[]) => parseArgv(argv, SERVE_FLAGS, { stopAtPositional: true });

describe("parseArgv", () => {
  it("gives everything after -- to the child, dash arguments included", () => {
    const r = serve(["--port", "9000", "--", "node", "server.js", "--port", "1", "-v", "--", "x"]);
    expect(r.options).toEqual({ port: "9000" });
    expect(r.positionals).toEqual(["node", "server.js", "--port", "1", "-v", "--", "x"]);
  });

  it("stops at the first positional when there is no --", () => {
    const r = serve(["--debug", "npx", "-y", "server", "--apiKey", "child-flag", "--"]);
    expect(r.options).toEqual({ debug: true });
    expect(r.positionals).toEqual(["npx", "-y", "server", "--apiKey", "child-flag", "--"]);
  });

  it("accepts camelCase, kebab-case and --name=value", () => {
    const r = serve(["--sseEndpoint", "/a", "--stream-endpoint=/b", "--api-key=k=v", "x"]);
    expect(r.options).toEqual({ sseEndpoint: "/a", streamEndpoint: "/b", apiKey: "k=v" });
  });

  it("keeps values byte-exact (no number coercion)", () => {
    expect(serve(["--apiKey", "000123", "x"]).options.apiKey).toBe("000123");
  });

  it("collects repeatable flags and lets the last of a single flag win", () => {
    const r = serve(["--env", "A=1", "--env=B=2", "--port", "1", "--port", "2", "x"]);
    expect(r.options).toEqual({ env: ["A=1", "B=2"], port: "2" });
  });

  it("reads --no-<flag> for negatable flags, in both spellings", () => {
    expect(serve(["--no-eventStore", "--no-pass-environment", "x"]).options).toEqual({
      eventStore: false,
      passEnvironment: false,
    });
    expect(() => serve(["--no-port", "x"])).toThrow(UsageError);
  });

  it("rejects unknown flags and missing values with one clear message", () => {
    expect(() => serve(["--bogus", "x"])).toThrow("Unknown option --bogus");
    expect(() => serve(["-x", "cmd"])).toThrow("Unknown option -x");
    expect(() => serve(["--port"])).toThrow("--port needs a value");
    expect(() => serve(["--apiKey", "--port", "1"])).toThrow("--apiKey needs a value");
  });

  it("knows -h and -v", () => {
    expect(serve(["-h"]).options).toEqual({ help: true });
    expect(serve(["-v"]).options).toEqual({ version: true });
  });

  it("lets stdio mode mix options and the url", () => {
    const r = parseArgv(["https://x/mcp", "--header", "A: b"], STDIO_FLAGS, {
      stopAtPositional: false,
    });
    expect(r).toEqual({ options: { header: ["A: b"] }, positionals: ["https://x/mcp"] });
  });
});

describe("detectMode", () => {
  it("recognises subcommands only as the first argument", () => {
    expect(detectMode(["stdio", "http://x"]).mode).toBe("stdio");
    expect(detectMode(["tap", "--", "node"]).mode).toBe("tap");
    expect(detectMode(["--", "stdio"]).mode).toBe("serve");
    expect(detectMode(["--port", "1", "tap"]).mode).toBe("serve");
  });
});
