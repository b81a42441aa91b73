// HTTPS with a self-signed certificate generated at test time (no keys are
// committed); sslCert/sslKey accept file paths or PEM text.
import https from "node:https";
import { makeCertificate, type TestCertificate } from "@mcp-proxy/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHTTPServer } from "../src/index.js";
import { echoUpstream, initializeBody, JSON_HEADERS, startEcho } from "./helpers.js";

let certificate: TestCertificate;
let certPath: string;
let keyPath: string;

beforeAll(() => {
  certificate = makeCertificate();
  ({ certPath, keyPath } = certificate);
});

afterAll(() => certificate.cleanup());

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
    ["PEM text", () => ({ sslCert: certificate.cert, sslKey: certificate.key })],
  ])("serves MCP over HTTPS with %s", async (_name, tls) => {
    const handle = await startEcho(tls());
    expect(handle.url).toBe(`https://127.0.0.1:${handle.port}`);
    const ca = certificate.cert;
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

describe("TLS configuration errors", () => {
  it("names the option and file that hold no PEM, or that do not fit together", async () => {
    const base = { port: 0, host: "127.0.0.1", createUpstream: echoUpstream() };
    // A file that is not PEM at all (this test file itself).
    const notPem = new URL(import.meta.url).pathname;
    await expect(startHTTPServer({ ...base, sslCert: notPem, sslKey: keyPath })).rejects.toThrow(
      `sslCert: "${notPem}" holds no PEM block`,
    );
    // PEM, but the certificate as the key: the TLS error names both files.
    await expect(startHTTPServer({ ...base, sslCert: certPath, sslKey: certPath })).rejects.toThrow(
      /^TLS: .*sslCert ".*", sslKey ".*"/,
    );
  });
});
