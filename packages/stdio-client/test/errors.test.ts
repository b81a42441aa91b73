import { createServer } from "node:http";
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from "node:net";
import { waitFor } from "@mcp-proxy/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { closeRunners, spawnRunner } from "./helpers/runner.js";
import { closeServers, startSseServer } from "./helpers/servers.js";

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await closeRunners();
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
  await closeServers();
});

/**
 * Listens on 127.0.0.1 at a free port and closes after the test, dropping its
 * open connections first (these servers never finish their responses).
 */
async function listenOnLoopback(server: NetServer, dropConnections: () => void): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    dropConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** A port with nothing listening: listen, note the port, close. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("failures reach the local client as errors, never hangs", () => {
  it("reports an unreachable server", async () => {
    const port = await deadPort();
    for (const transport of ["stream", "sse", "auto"] as const) {
      const runner = spawnRunner({ url: `http://127.0.0.1:${port}/mcp`, transport });
      await expect(runner.client.connect(runner.transport)).rejects.toThrow(
        /Cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED/,
      );
      expect(runner.stderr()).toMatch(/ECONNREFUSED/);
      await runner.close();
    }
  });

  it("times out a server that never answers (requestTimeout)", async () => {
    const silent = createServer(() => {
      // Accept the request and never answer.
    });
    const port = await listenOnLoopback(silent, () => silent.closeAllConnections());
    const runner = spawnRunner({
      url: `http://127.0.0.1:${port}/mcp`,
      transport: "stream",
      requestTimeout: 300,
    });
    await expect(runner.client.connect(runner.transport)).rejects.toThrow(/timed out/);
  });

  it("times out a TLS handshake that never completes (connectTimeout)", async () => {
    // A TCP listener that accepts and never answers the ClientHello: undici's
    // connect phase (TCP plus TLS) is what times out, not the request.
    const sockets = new Set<Socket>();
    const silent = createNetServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    const port = await listenOnLoopback(silent, () => {
      for (const socket of sockets) socket.destroy();
    });
    const runner = spawnRunner({
      url: `https://127.0.0.1:${port}/mcp`,
      transport: "stream",
      protocol: "legacy",
      connectTimeout: 300,
      requestTimeout: 60_000,
    });
    await expect(runner.client.connect(runner.transport)).rejects.toThrow(/timed out/);
    expect(runner.stderr()).toMatch(/Connect Timeout|UND_ERR_CONNECT_TIMEOUT|connect timeout/i);
    expect(sockets.size).toBeGreaterThanOrEqual(1);
  });

  it("fails a request that the server merely accepts (202 without an answer)", async () => {
    const accepting = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(req.method === "POST" ? 202 : 405).end());
    });
    const port = await listenOnLoopback(accepting, () => accepting.closeAllConnections());
    const runner = spawnRunner({
      url: `http://127.0.0.1:${port}/mcp`,
      transport: "stream",
      protocol: "legacy",
    });
    await expect(runner.client.connect(runner.transport)).rejects.toThrow(
      /answered initialize with HTTP 202 and no response/,
    );
  });

  it("carries many concurrent requests over SSE without listener warnings", async () => {
    const server = await startSseServer();
    const runner = spawnRunner({ url: server.url, transport: "sse" });
    await runner.client.connect(runner.transport);
    const texts = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        runner.client.callTool({ name: "echo", arguments: { text: `c${i}` } }),
      ),
    );
    expect(texts).toHaveLength(24);
    expect(runner.stderr()).not.toMatch(/MaxListenersExceededWarning/);
  });

  it("ends when an SSE server closes its stream, failing what was pending", async () => {
    const server = await startSseServer();
    const runner = spawnRunner({ url: server.url, transport: "sse" });
    await runner.client.connect(runner.transport);
    // Chain, not replace, the SDK client's own close handler: it is what rejects
    // pending requests if the runner ends without answering them.
    const clientOnClose = runner.transport.onclose;
    const exited = new Promise<void>((resolve) => {
      runner.transport.onclose = () => {
        clientOnClose?.();
        resolve();
      };
    });
    const posts = () => server.requests.filter((r) => r.method === "POST").length;
    const before = posts();
    const slow = runner.client.callTool({ name: "slow", arguments: { ms: 5000, steps: 1 } });
    // Drop only once the call has reached the server, so it is pending in the runner.
    await waitFor(() => posts() > before);
    await server.dropSessions();
    await expect(slow).rejects.toThrow(/closed the SSE stream/);
    await exited;
    expect(runner.stderr()).toMatch(/closed the SSE stream; the session is over/);
  });
});
