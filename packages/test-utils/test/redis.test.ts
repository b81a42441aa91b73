// startRedis: ready when redis says so, gone when stopped, and a clear word when it is missing.
import { createConnection } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive, redisServerPath, startRedis, type TestRedis } from "../src/index.js";

let redis: TestRedis | undefined;

afterEach(async () => {
  await redis?.stop();
  redis = undefined;
});

/** Sends PING over a raw socket and resolves to the first reply line. */
function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: "127.0.0.1" }, () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString("utf8").trim());
    });
    socket.once("error", reject);
  });
}

describe("startRedis", () => {
  it("answers once started and exits when stopped", async () => {
    redis = await startRedis();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await ping(redis.port)).toBe("+PONG");
    await Promise.all([redis.stop(), redis.stop()]);
    expect(isAlive(redis.pid)).toBe(false);
  });

  it("says which package to install when redis-server is not on PATH", async () => {
    const path = process.env.PATH;
    process.env.PATH = "";
    try {
      expect(() => redisServerPath()).toThrow(/apt-get install -y redis-server/);
      await expect(startRedis()).rejects.toThrow(/redis-server is not on PATH/);
    } finally {
      process.env.PATH = path;
    }
  });
});
