import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { createServer } from "node:net";
import { ECHO_SERVER, makeCertificate } from "@mcp-proxy/test-utils";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { cleanup, INITIALIZE_BODY, postMcp, runBin, startProxy } from "./helpers.js";

afterEach(cleanup);

describe("bad usage exits 1 with one line", () => {
  const oneLine = (stderr: string) => stderr.trim().split("\n");

  it("port in use", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runBin(["--port", String(port), "--", "node", ECHO_SERVER]);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(/in use/i);
    } finally {
      blocker.close();
    }
  });

  it("unknown flag", async () => {
    const r = await runBin(["--bogus", "--", "node", ECHO_SERVER]);
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(oneLine(r.stderr)).toEqual(["mcp-proxy: Unknown option --bogus (see mcp-proxy --help)"]);
  });

  it("missing command", async () => {
    const r = await runBin(["--port", "0"]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("No command to run");
  });

  it("bad number, command not found, missing certificate", async () => {
    for (const args of [
      ["--port", "eighty", "--", "node"],
      ["--", "surely-not-a-command-xyz"],
      ["--sslCert", "/nope/cert.pem", "--sslKey", "/nope/key.pem", "--", "node", ECHO_SERVER],
    ]) {
      const r = await runBin(args);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toHaveLength(1);
    }
  });

  it("--help and --version print on stdout and exit 0", async () => {
    const help = await runBin(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--sseEndpoint <path>");
    expect(help.stdout).toContain("(default: 8080)");
    expect(help.stdout).toContain("Examples:");
    const version = await runBin(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^mcp-proxy\/\d+\.\d+\.\d+/);
  });
});

describe("TLS", () => {
  it("serves HTTPS with --sslCert and --sslKey", async () => {
    const certificate = makeCertificate();
    onTestFinished(() => certificate.cleanup());
    const { keyPath: key, certPath: cert } = certificate;
    const proxy = await startProxy(["--sslCert", cert, "--sslKey", key, "--", "node", ECHO_SERVER]);
    expect(proxy.url).toMatch(/^https:\/\//);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      https
        .get(`${proxy.url}/ping`, { ca: readFileSync(cert) }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on("error", reject);
    });
    expect(status).toBe(200);
  });
});

describe("DNS-rebinding checks", () => {
  it("rejects a foreign Host on loopback unless --allowedHost names it", async () => {
    const request = (url: string, host: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        http
          .get(`${url}/sse`, { headers: { host } }, (res) => {
            res.destroy();
            resolve(res.statusCode);
          })
          .on("error", reject);
      });
    const strict = await startProxy(["--", "node", ECHO_SERVER]);
    expect(await request(strict.url, "evil.example")).toBe(403);
    const relaxed = await startProxy([
      "--allowedHost",
      "mcp.example.com",
      "--",
      "node",
      ECHO_SERVER,
    ]);
    expect(await request(relaxed.url, "mcp.example.com")).toBe(200);
  });
});

describe("HTTP flags reach the server", () => {
  it("--maxBodySize, --maxSessions and --corsAddAllowedHeader", async () => {
    const proxy = await startProxy([
      ...["--maxBodySize", "2000", "--maxSessions", "1", "--corsAddAllowedHeader", "X-Custom"],
      ...["--", "node", ECHO_SERVER],
    ]);
    expect(
      (await postMcp(proxy.url, `${INITIALIZE_BODY.slice(0, -1)},"pad":"${"x".repeat(3000)}"}`))
        .status,
    ).toBe(413);
    expect((await postMcp(proxy.url, INITIALIZE_BODY)).status).toBe(200);
    expect((await postMcp(proxy.url, INITIALIZE_BODY)).status).toBe(503);
    const preflight = await fetch(`${proxy.url}/mcp`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:5173",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-custom",
      },
    });
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain(
      "x-custom",
    );
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Mcp-Session-Id");
  });

  it("--corsOrigin off sends no CORS headers", async () => {
    const proxy = await startProxy(["--corsOrigin", "off", "--", "node", ECHO_SERVER]);
    const response = await fetch(`${proxy.url}/ping`, {
      headers: { origin: "http://localhost:5173" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});
