import { initializeRequest, isAlive, waitFor } from "@mcp-proxy/test-utils";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { ChildProcessTransport, ErrorCodes, SpawnError } from "../src/index.js";
import { jsonTextOf, LARGE_JSON_TEXT } from "../src/internal.js";
import { echoChild } from "./helpers.js";

const open: ChildProcessTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});
const track = (t: ChildProcessTransport) => {
  open.push(t);
  return t;
};

const init: JSONRPCMessage = initializeRequest();

function nextMessage(t: ChildProcessTransport): Promise<JSONRPCMessage> {
  return new Promise((resolve) => {
    t.onmessage = (m) => resolve(m);
  });
}

describe("ChildProcessTransport", () => {
  it("fails to start with a clear error naming a missing command", async () => {
    const t = track(
      new ChildProcessTransport({ command: "definitely-not-a-command-xyz", args: ["--flag"] }),
    );
    const error = await t.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SpawnError);
    expect((error as SpawnError).code).toBe(ErrorCodes.SPAWN_FAILED);
    expect((error as SpawnError).message).toBe(
      'Failed to start "definitely-not-a-command-xyz": command not found',
    );
  });

  it("passes env merged over the parent's, and cwd", async () => {
    const t = track(echoChild({ env: { FIXTURE_VAR: "from-test" }, cwd: "/tmp" }));
    await t.start();
    const first = nextMessage(t);
    await t.send(init);
    await first;
    await t.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    const reply = nextMessage(t);
    await t.send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "env", arguments: { name: "FIXTURE_VAR" } },
    });
    const result = (await reply) as unknown as { result: { content: Array<{ text: string }> } };
    expect(JSON.parse(result.result.content[0]!.text)).toEqual({ value: "from-test", cwd: "/tmp" });
  });

  it("runs through a shell with arguments quoted as given", async () => {
    const t = track(
      new ChildProcessTransport({
        command: process.execPath,
        args: [
          "-e",
          "console.log(JSON.stringify({jsonrpc:'2.0',method:'x',params:{a:process.argv[1]}}))",
          "it's $HOME",
        ],
        shell: true,
        stderr: "ignore",
      }),
    );
    const got = nextMessage(t);
    await t.start();
    expect(await got).toEqual({ jsonrpc: "2.0", method: "x", params: { a: "it's $HOME" } });
  });

  it("pipes stderr to a callback", async () => {
    let stderr = "";
    const t = track(
      new ChildProcessTransport({
        command: process.execPath,
        args: ["-e", "process.stderr.write('diagnostic line\\n')"],
        stderr: (text) => {
          stderr += text;
        },
      }),
    );
    await t.start();
    await t.exited;
    expect(stderr).toBe("diagnostic line\n");
  });

  it("reports exit and closes when the child exits by itself", async () => {
    const errors: Error[] = [];
    const t = track(echoChild({ args: ["--exit-after", "50", "--exit-code", "4"] }));
    t.onerror = (e) => errors.push(e);
    let closed = 0;
    t.onclose = () => closed++;
    await t.start();
    const info = await t.exited;
    expect(info).toEqual({ code: 4, signal: null, expected: false });
    await waitFor(() => closed === 1, 2000);
    expect(errors.map((e) => (e as { code?: string }).code)).toContain(ErrorCodes.UPSTREAM_EXITED);
    await expect(t.send(init)).rejects.toMatchObject({ code: ErrorCodes.UPSTREAM_EXITED });
  });

  it("escalates to SIGTERM and SIGKILL for a child that ignores stdin closing and SIGTERM", async () => {
    const t = track(
      new ChildProcessTransport({
        command: process.execPath,
        args: [
          "-e",
          // Says so once its SIGTERM handler is in place: signalled earlier, it would just die.
          "process.on('SIGTERM', () => {}); process.stdin.resume(); setInterval(() => {}, 1000); console.log(JSON.stringify({ jsonrpc: '2.0', method: 'ready' }))",
        ],
        stderr: "ignore",
        killGracePeriodMs: 150,
      }),
    );
    const ready = new Promise<void>((resolve) => {
      t.onmessage = (message) => {
        if ((message as { method?: string }).method === "ready") resolve();
      };
    });
    await t.start();
    await ready;
    const pid = t.pid!;
    await t.close();
    expect(isAlive(pid)).toBe(false);
    expect(t.exitInfo?.signal).toBe("SIGKILL");
    expect(t.exitInfo?.expected).toBe(true);
  });

  it("rejects sends after close", async () => {
    const t = track(echoChild());
    await t.start();
    await t.close();
    await expect(t.send(init)).rejects.toBeInstanceOf(Error);
  });

  it("records the JSON text of large messages only, non-enumerably", async () => {
    const big = JSON.stringify({
      jsonrpc: "2.0",
      method: "big",
      params: { x: "y".repeat(LARGE_JSON_TEXT) },
    });
    const small = JSON.stringify({ jsonrpc: "2.0", method: "small" });
    const t = track(
      new ChildProcessTransport({
        command: process.execPath,
        args: [
          "-e",
          `console.log(${JSON.stringify(small)}); console.log(${JSON.stringify(` ${big}`)})`,
        ],
        stderr: "ignore",
      }),
    );
    const got: JSONRPCMessage[] = [];
    t.onmessage = (m) => got.push(m);
    await t.start();
    await t.exited;
    await waitFor(() => got.length === 2, 2000);
    expect(jsonTextOf(got[0]!)).toBeUndefined();
    expect(jsonTextOf(got[1]!)).toBe(` ${big}`);
    expect(Object.keys(got[1]!)).toEqual(["jsonrpc", "method", "params"]);
    expect(jsonTextOf({ ...got[1]! })).toBeUndefined();
  });
});
