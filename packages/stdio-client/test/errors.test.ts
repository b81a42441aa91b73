import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { closeRunners, spawnRunner } from "./helpers/runner.js";

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await closeRunners();
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

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
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const { port } = silent.address() as AddressInfo;
    const runner = spawnRunner({
      url: `http://127.0.0.1:${port}/mcp`,
      transport: "stream",
      requestTimeout: 300,
    });
    await expect(runner.client.connect(runner.transport)).rejects.toThrow(/timed out/);
  });
});
