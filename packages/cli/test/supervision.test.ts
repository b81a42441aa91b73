import { redactUrl } from "@mcp-proxy/cluster";
import { describe, expect, it } from "vitest";
import { parseCommandLine, type ServeConfig } from "../src/config.js";
import { exposureWarning, startupLines } from "../src/startup-banner.js";
import { decideOnExit, RESTART_MAX_ATTEMPTS, Supervisor } from "../src/supervisor.js";

const crash = { code: 3, signal: null, expected: false };

describe("decideOnExit", () => {
  it("exits with the child's code by default", () => {
    expect(decideOnExit("never", crash, 0)).toEqual({ action: "exit", code: 3 });
    expect(decideOnExit("never", { code: null, signal: "SIGKILL", expected: false }, 0)).toEqual({
      action: "exit",
      code: 137,
    });
  });

  it("restarts failures with exponential backoff, then gives up", () => {
    expect(decideOnExit("on-failure", crash, 0)).toEqual({ action: "restart", delayMs: 500 });
    expect(decideOnExit("on-failure", crash, 2)).toEqual({ action: "restart", delayMs: 2000 });
    expect(decideOnExit("on-failure", crash, RESTART_MAX_ATTEMPTS)).toEqual({
      action: "exit",
      code: 3,
    });
    expect(decideOnExit("on-failure", { code: 0, signal: null, expected: false }, 0)).toEqual({
      action: "exit",
      code: 0,
    });
  });
});

describe("Supervisor health", () => {
  it("reports the shared child down after it died", () => {
    const s = new Supervisor("on-failure", true);
    expect(s.health().ok).toBe(true);
    s.spawned();
    expect(s.health()).toMatchObject({ ok: true, detail: { upstream: "up" } });
    expect(s.exited(crash, 10)).toEqual({ action: "restart", delayMs: 500 });
    expect(s.health()).toMatchObject({ ok: false, detail: { upstream: "down" } });
  });

  it("counts each shared child: one stopped when idle leaves the others up, and none is no failure", () => {
    const s = new Supervisor("never", true);
    s.spawned(true);
    s.spawned(true);
    const idle = { code: null, signal: "SIGTERM" as const, expected: true };
    expect(s.exited(idle, 10, true)).toBeUndefined();
    expect(s.health()).toMatchObject({ ok: true, detail: { upstream: "up" } });
    expect(s.exited(idle, 10, true)).toBeUndefined();
    expect(s.health()).toMatchObject({
      ok: true,
      detail: { upstream: "idle (starts on the next request)" },
    });
  });

  it("per-session children: a crash marks it unhealthy until a child answers again", () => {
    const s = new Supervisor("never", false);
    s.spawned();
    expect(s.exited(crash, 10)).toBeUndefined();
    expect(s.health().ok).toBe(false);
    s.recovered();
    expect(s.health().ok).toBe(true);
  });
});

describe("startup output", () => {
  const config = (argv: string[]): ServeConfig => {
    const r = parseCommandLine([...argv, "--", "node", "s.js"], {});
    if (r.kind !== "serve") throw new Error("expected serve");
    return r.config;
  };

  it("lists the URLs, mode and auth", () => {
    const lines = startupLines(
      config(["--apiKey", "k"]),
      "http://127.0.0.1:8080",
      "node s.js",
      "1.2.3",
    );
    expect(lines).toContain("  Streamable HTTP: http://127.0.0.1:8080/mcp");
    expect(lines).toContain("  SSE:             http://127.0.0.1:8080/sse");
    expect(lines.join("\n")).toContain("API key required");
  });

  it("names the replica and its registry, never the Redis password or the cluster secret", () => {
    const secret = "super-secret-cluster-key";
    const redis = "redis://default:hunter2pass@redis:6379";
    const text = startupLines(
      config(["--cluster", redis, "--clusterSecret", secret]),
      "http://127.0.0.1:8080",
      "node s.js",
      "1.2.3",
      { id: "r1", url: "http://10.0.0.5:8080", registry: redactUrl(redis) },
    ).join("\n");
    expect(text).toContain(
      "cluster:         replica r1 at http://10.0.0.5:8080, registry redis://",
    );
    expect(text).toContain("@redis:6379");
    expect(text).not.toContain("hunter2pass");
    expect(text).not.toContain(secret);
  });

  it("warns loudly on all interfaces without an API key, and only then", () => {
    expect(exposureWarning("0.0.0.0", undefined)?.join("\n")).toContain(
      "ALL interfaces (0.0.0.0) WITHOUT an API key",
    );
    expect(exposureWarning("::", undefined)).toBeDefined();
    expect(exposureWarning("192.168.1.5", undefined)).toBeDefined();
    expect(exposureWarning("0.0.0.0", "key")).toBeUndefined();
    expect(exposureWarning("127.0.0.1", undefined)).toBeUndefined();
    expect(exposureWarning("localhost", undefined)).toBeUndefined();
  });
});
