// HTTPS with a self-signed certificate generated at test time (no keys are
// committed); sslCert/sslKey accept file paths or PEM text.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initializeBody, JSON_HEADERS, startEcho } from "./helpers.js";

let dir: string;
let certPath: string;
let keyPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mcp-proxy-tls-"));
  certPath = join(dir, "cert.pem");
  keyPath = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    { stdio: "ignore" },
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function post(port: number, ca: string, body: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = https.request(
        {
          host: "127.0.0.1",
          port,
          path: "/mcp",
          method: "POST",
          ca,
          headers: { ...JSON_HEADERS, Accept: "application/json", ...headers },
        },
        (res) => {
          let text = "";
          res.on("data", (c) => {
            text += c;
          });
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    },
  );
}

describe("TLS", () => {
  it.each([
    ["file paths", () => ({ sslCert: certPath, sslKey: keyPath })],
    [
      "PEM text",
      () => ({ sslCert: readFileSync(certPath, "utf8"), sslKey: readFileSync(keyPath, "utf8") }),
    ],
  ])("serves MCP over HTTPS with %s", async (_name, tls) => {
    const handle = await startEcho(tls());
    expect(handle.url).toBe(`https://127.0.0.1:${handle.port}`);
    const ca = readFileSync(certPath, "utf8");
    const init = await post(handle.port, ca, JSON.stringify(initializeBody(1)));
    expect(init.status).toBe(200);
    expect(JSON.parse(init.body).result.serverInfo.name).toBe("echo-fixture");
    const sessionId = init.headers["mcp-session-id"] as string;
    const call = await post(
      handle.port,
      ca,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "echo", arguments: { text: "tls" } },
      }),
      { "Mcp-Session-Id": sessionId },
    );
    expect(JSON.parse(call.body).result.content[0].text).toBe("tls");
  });
});
