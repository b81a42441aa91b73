import { makeCertificate, type TestCertificate } from "@mcp-proxy/test-utils";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startProxy, type TestProxy } from "./helpers/proxy.js";
import { closeRunners, spawnRunner } from "./helpers/runner.js";
import { closeServers, startStreamServer } from "./helpers/servers.js";

let certificate: TestCertificate;
const proxies: TestProxy[] = [];

beforeAll(() => {
  certificate = makeCertificate();
  return () => certificate.cleanup();
});

afterEach(async () => {
  await closeRunners();
  await closeServers();
  await Promise.allSettled(proxies.splice(0).map((p) => p.close()));
});

async function proxy(): Promise<TestProxy> {
  const started = await startProxy();
  proxies.push(started);
  return started;
}

describe("TLS", () => {
  it("trusts a custom CA given as sslCa", async () => {
    const server = await startStreamServer({
      tls: { key: certificate.key, cert: certificate.cert },
    });
    expect(server.url.startsWith("https://127.0.0.1:")).toBe(true);
    const runner = spawnRunner({
      url: server.url,
      transport: "stream",
      sslCa: certificate.certPath,
    });
    await runner.client.connect(runner.transport);
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "over tls" } });
    expect(echoed.content).toEqual([{ type: "text", text: "over tls" }]);
  });

  it("presents a client certificate (sslCert, sslKey) to a server that requires one", async () => {
    const { key, cert } = certificate;
    const server = await startStreamServer({ tls: { key, cert, ca: cert } });
    const runner = spawnRunner({
      url: server.url,
      transport: "stream",
      sslCa: certificate.certPath,
      sslCert: certificate.certPath,
      sslKey: certificate.keyPath,
    });
    await runner.client.connect(runner.transport);
    const tools = await runner.client.listTools();
    expect(tools.tools.length).toBeGreaterThan(0);

    // Without the client certificate the handshake is refused.
    const anonymous = spawnRunner({
      url: server.url,
      transport: "stream",
      sslCa: certificate.certPath,
    });
    await expect(anonymous.client.connect(anonymous.transport)).rejects.toThrow(
      /Cannot reach https:/,
    );
  });

  it("refuses the same server without the CA, with a clear error", async () => {
    const server = await startStreamServer({
      tls: { key: certificate.key, cert: certificate.cert },
    });
    const runner = spawnRunner({ url: server.url, transport: "stream" });
    await expect(runner.client.connect(runner.transport)).rejects.toThrow(
      /Cannot reach https:\/\/127\.0\.0\.1:\d+ \(.*(CERT|certificate)/i,
    );
  });
});

describe("HTTP proxies from the environment", () => {
  // undici's EnvHttpProxyAgent has no implicit exemption for localhost, so a
  // proxy named in HTTP_PROXY is used even for 127.0.0.1 unless NO_PROXY says otherwise.
  it("goes through HTTP_PROXY for an http target", async () => {
    const server = await startStreamServer();
    const forward = await proxy();
    const runner = spawnRunner(
      { url: server.url, transport: "stream" },
      { HTTP_PROXY: forward.url },
    );
    await runner.client.connect(runner.transport);
    await runner.client.listTools();
    // undici's ProxyAgent tunnels plain http with CONNECT as well.
    expect(forward.connects).toContain(new URL(server.url).host);
  });

  it("tunnels through HTTPS_PROXY to an https target with a custom CA", async () => {
    const server = await startStreamServer({
      tls: { key: certificate.key, cert: certificate.cert },
    });
    const forward = await proxy();
    const runner = spawnRunner(
      { url: server.url, transport: "stream", sslCa: certificate.certPath },
      { HTTPS_PROXY: forward.url },
    );
    await runner.client.connect(runner.transport);
    const echoed = await runner.client.callTool({ name: "echo", arguments: { text: "tunnelled" } });
    expect(echoed.content).toEqual([{ type: "text", text: "tunnelled" }]);
    expect(forward.connects).toContain(new URL(server.url).host);
  });

  it("bypasses the proxy for hosts in NO_PROXY", async () => {
    const server = await startStreamServer();
    const forward = await proxy();
    const runner = spawnRunner(
      { url: server.url, transport: "stream" },
      { HTTP_PROXY: forward.url, NO_PROXY: "127.0.0.1" },
    );
    await runner.client.connect(runner.transport);
    await runner.client.listTools();
    expect(forward.connects).toEqual([]);
    expect(forward.forwarded).toEqual([]);
  });
});
