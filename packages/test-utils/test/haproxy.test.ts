// startHaproxy against plain node:http backends: round robin, a failing health check taking a
// server out of rotation, a spare slot put into rotation, and the stop.
import { createServer, get, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startHaproxy, type TestHaproxy } from "../src/haproxy.js";
import { isAlive, waitFor } from "../src/index.js";

interface Backend {
  name: string;
  url: string;
  /** /health answers 200 while true, 503 otherwise. */
  healthy: boolean;
  /** What the health checks looked like. */
  checks: { httpVersion: string; headers: IncomingHttpHeaders }[];
  server: Server;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function backend(name: string): Promise<Backend> {
  const b: Backend = { name, url: "", healthy: true, checks: [], server: createServer() };
  b.server.on("request", (req, res) => {
    if (req.url === "/health") {
      b.checks.push({ httpVersion: req.httpVersion, headers: req.headers });
      res.writeHead(b.healthy ? 200 : 503).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain" }).end(name);
  });
  await new Promise<void>((resolve) => b.server.listen(0, "127.0.0.1", resolve));
  b.url = `http://127.0.0.1:${(b.server.address() as AddressInfo).port}`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        b.server.close(() => resolve());
        b.server.closeAllConnections();
      }),
  );
  return b;
}

async function haproxy(backends: Backend[]): Promise<TestHaproxy> {
  const lb = await startHaproxy({ backends: backends.map((b) => ({ name: b.name, url: b.url })) });
  cleanups.push(() => lb.stop());
  return lb;
}

/** `count` sequential requests through the balancer, each on a fresh connection; the answering backends. */
async function who(lb: TestHaproxy, count: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < count; i++) {
    answers.push(
      await new Promise<string>((resolve, reject) => {
        get(`${lb.url}/who`, { agent: false }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () =>
            res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        }).once("error", reject);
      }),
    );
  }
  return answers;
}

const tally = (names: string[]) =>
  names.reduce<Record<string, number>>((t, n) => {
    t[n] = (t[n] ?? 0) + 1;
    return t;
  }, {});

describe("startHaproxy", () => {
  it("spreads requests round robin and counts them per server", async () => {
    const lb = await haproxy([await backend("a"), await backend("b")]);
    await lb.waitUntil({ a: "UP", b: "UP" });
    expect(await lb.serverStates()).toEqual({ a: "UP", b: "UP" });

    expect(tally(await who(lb, 6))).toEqual({ a: 3, b: 3 });
    expect(await lb.requestCounts()).toEqual({ a: 3, b: 3 });
  });

  it("checks health with HAProxy's default request: HTTP/1.0, no Host header", async () => {
    const a = await backend("a");
    const lb = await haproxy([a]);
    await lb.waitUntil({ a: "UP" });
    await waitFor(() => a.checks.length > 0);
    expect(a.checks[0]?.httpVersion).toBe("1.0");
    expect(a.checks[0]?.headers.host).toBeUndefined();
  });

  it("takes a server whose /health answers 503 out of rotation", async () => {
    const b = await backend("b");
    const lb = await haproxy([await backend("a"), b, await backend("c")]);
    await lb.waitUntil({ a: "UP", b: "UP", c: "UP" });

    b.healthy = false;
    await lb.waitUntil({ a: "UP", b: "DOWN", c: "UP" });
    const before = (await lb.requestCounts()).b;
    expect(tally(await who(lb, 6))).toEqual({ a: 3, c: 3 });
    expect((await lb.requestCounts()).b).toBe(before);

    b.healthy = true;
    await lb.waitUntil({ b: "UP" });
    expect(await who(lb, 3)).toContain("b");
  });

  it("puts a new server into rotation in a spare slot", async () => {
    const lb = await haproxy([await backend("a")]);
    await lb.waitUntil({ a: "UP" });
    expect(Object.keys(await lb.serverStates())).toEqual(["a"]);

    const c = await backend("c");
    await lb.enableServer("c", c.url);
    await lb.waitUntil({ a: "UP", c: "UP" });
    expect(tally(await who(lb, 4))).toEqual({ a: 2, c: 2 });
    expect(await lb.requestCounts()).toMatchObject({ c: 2 });

    await expect(lb.enableServer("c", c.url)).rejects.toThrow(/exists already/);
    await lb.setServerState("c", "maint");
    await lb.waitUntil({ c: "MAINT" });
    expect(await who(lb, 2)).toEqual(["a", "a"]);
  });

  it("stops: the process exits; a second stop is a no-op", async () => {
    const lb = await haproxy([await backend("a")]);
    expect(isAlive(lb.pid)).toBe(true);
    await lb.stop();
    expect(isAlive(lb.pid)).toBe(false);
    await lb.stop();
  });
});
