import { waitFor } from "@mcp-proxy/test-utils";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { withRequestTimeouts } from "../src/request-timeout.js";

/** A fake upstream that records what it was sent and lets the test answer. */
function fakeUpstream() {
  const sent: JSONRPCMessage[] = [];
  const transport: Transport = {
    async start() {},
    async send(message) {
      sent.push(message);
    },
    async close() {
      transport.onclose?.();
    },
  };
  const answer = (id: number | string) =>
    transport.onmessage?.({ jsonrpc: "2.0", id, result: {} } as JSONRPCMessage);
  return { transport, sent, answer };
}

const request = (id: number | string, method = "tools/call"): JSONRPCMessage =>
  ({ jsonrpc: "2.0", id, method, params: {} }) as JSONRPCMessage;

describe("withRequestTimeouts", () => {
  it("answers an unanswered request with -32001, cancels it upstream and drops the late answer", async () => {
    const up = fakeUpstream();
    const timed = withRequestTimeouts(up.transport, {
      requestTimeout: 30,
      connectionTimeout: 5000,
    });
    const received: JSONRPCMessage[] = [];
    timed.onmessage = (m) => received.push(m);
    await timed.send(request(1));
    await timed.send(request("1"));
    up.answer("1");
    await waitFor(() => received.length === 2, 2000);
    expect(received[0]).toMatchObject({ id: "1", result: {} });
    expect(received[1]).toMatchObject({ id: 1, error: { code: -32001 } });
    expect(up.sent.at(-1)).toMatchObject({
      method: "notifications/cancelled",
      params: { requestId: 1 },
    });
    up.answer(1);
    expect(received).toHaveLength(2);
    await timed.close();
  });

  it("gives initialize the connection timeout and expires each request on its own deadline", async () => {
    const up = fakeUpstream();
    const timed = withRequestTimeouts(up.transport, {
      requestTimeout: 20,
      connectionTimeout: 60_000,
    });
    const received: JSONRPCMessage[] = [];
    timed.onmessage = (m) => received.push(m);
    await timed.send(request(0, "initialize"));
    for (let i = 1; i <= 5; i++) await timed.send(request(i));
    await waitFor(() => received.length === 5, 2000);
    expect(received.map((m) => (m as { id: number }).id).sort()).toEqual([1, 2, 3, 4, 5]);
    up.answer(0);
    expect(received.at(-1)).toMatchObject({ id: 0, result: {} });
    await timed.close();
  });

  it("never cancels an initialize that timed out, and ends the upstream instead", async () => {
    const up = fakeUpstream();
    const timed = withRequestTimeouts(up.transport, {
      requestTimeout: 60_000,
      connectionTimeout: 20,
    });
    const received: JSONRPCMessage[] = [];
    let closed = false;
    timed.onmessage = (m) => received.push(m);
    timed.onclose = () => {
      closed = true;
    };
    await timed.send(request(0, "initialize"));
    await waitFor(() => received.length === 1 && closed, 2000);
    expect(received[0]).toMatchObject({ id: 0, error: { code: -32001 } });
    expect(up.sent.some((m) => "method" in m && m.method === "notifications/cancelled")).toBe(
      false,
    );
  });

  it("passes notifications and answered requests through untouched", async () => {
    const up = fakeUpstream();
    const timed = withRequestTimeouts(up.transport, { requestTimeout: 50, connectionTimeout: 50 });
    const received: JSONRPCMessage[] = [];
    timed.onmessage = (m) => received.push(m);
    await timed.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    await timed.send(request(7));
    up.answer(7);
    // A later request's deadline must not expire the answered one: wait for it to time out.
    await timed.send(request(8));
    await waitFor(() => received.length === 2, 2000);
    expect(received).toMatchObject([
      { id: 7, result: {} },
      { id: 8, error: { code: -32001 } },
    ]);
    await timed.close();
  });
});
