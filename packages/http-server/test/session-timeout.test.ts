// The idle timeout counts from when a session stopped being busy: a stream that
// outlived the timeout and then dropped, or a body still uploading, never gets
// its session reaped under it.
import http from "node:http";
import { waitFor } from "@mcp-proxy/test-utils";
import { describe, expect, it } from "vitest";
import { JSON_HEADERS, onCleanup, postMcp, rawInitialize, startEcho } from "./helpers.js";

const TIMEOUT = 300;
const ping = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "ping" });

/** Records when onClose ran for each session id. */
function closings() {
  const closedAt = new Map<string, number>();
  return {
    closedAt,
    onClose: (s: { sessionId?: string }) => void closedAt.set(s.sessionId ?? "", Date.now()),
  };
}

describe("session idle timeout", () => {
  it("restarts when a GET stream that outlived it drops", async () => {
    const { closedAt, onClose } = closings();
    const handle = await startEcho({ sessionTimeout: TIMEOUT, onClose });
    // When the server saw each GET stream end, and a POST arrive. This listener is added after
    // the server's own, so it sees a drop first, and a request in the same tick as its handling.
    const droppedAt = new Map<string, number>();
    let postedAt = 0;
    handle.server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      const id = req.headers["mcp-session-id"];
      if (req.method === "GET" && typeof id === "string")
        res.once("close", () => void droppedAt.set(id, Date.now()));
      if (req.method === "POST") postedAt = Date.now();
    });
    const left = await rawInitialize(handle.url);
    const used = await rawInitialize(handle.url);
    const aborts = await Promise.all(
      [left, used].map(async (sessionId) => {
        const abort = new AbortController();
        const res = await fetch(`${handle.url}/mcp`, {
          headers: { Accept: "text/event-stream", "Mcp-Session-Id": sessionId },
          signal: abort.signal,
        });
        expect(res.status).toBe(200);
        return abort;
      }),
    );
    // Streams open for longer than the timeout. A session initialized now and left alone is
    // reaped once the timeout has passed since now: the signal that the others' last requests
    // (all before it) are past it too, and that a sweep has looked at them.
    const control = await rawInitialize(handle.url);
    await waitFor(() => closedAt.has(control), 10_000);
    expect(closedAt.has(left) || closedAt.has(used)).toBe(false);
    for (const abort of aborts) abort.abort();
    await waitFor(() => droppedAt.size === 2);

    // A request just after the drop is served (unless the machine stalled for longer than the
    // timeout before the server read it: then a 404 is right).
    const res = await postMcp(handle.url, ping(1), { "Mcp-Session-Id": used });
    if (postedAt - (droppedAt.get(used) as number) <= TIMEOUT) {
      expect(res.status).toBe(200);
      expect(((await res.json()) as { id: number }).id).toBe(1);
    } else await res.text();

    // Left alone, a session is reaped, and never sooner than the timeout after its drop (the
    // registry reaps only sessions idle for longer than that; onClose runs after).
    await waitFor(() => closedAt.has(left) && closedAt.has(used), 5000);
    expect((closedAt.get(left) as number) - (droppedAt.get(left) as number)).toBeGreaterThanOrEqual(
      TIMEOUT,
    );
    const gone = await postMcp(handle.url, ping(2), { "Mcp-Session-Id": left });
    expect(gone.status).toBe(404);
    await gone.text();
  });

  it("does not reap a session while a request body for it is still uploading", async () => {
    const { closedAt, onClose } = closings();
    const handle = await startEcho({ sessionTimeout: TIMEOUT, onClose });
    const sessionId = await rawInitialize(handle.url);
    const req = http.request(`${handle.url}/mcp`, {
      method: "POST",
      headers: { ...JSON_HEADERS, "Mcp-Session-Id": sessionId },
    });
    onCleanup(async () => req.destroy());
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on("error", reject);
      req.on("response", (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    // Headers and the first part now; the rest once a session initialized after them and left
    // alone has been reaped: the upload has then lasted longer than the timeout, and a sweep
    // has looked at the uploading session.
    req.write('{"jsonrpc":"2.0",');
    await waitFor(() => req.headersSent);
    const control = await rawInitialize(handle.url);
    await waitFor(() => closedAt.has(control), 10_000);
    req.end('"id":3,"method":"ping"}');
    const { status, body } = await answer;
    expect(closedAt.has(sessionId)).toBe(false);
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ jsonrpc: "2.0", id: 3, result: {} });
    // The idle clock restarted when that request ended: the session still times out.
    await waitFor(() => closedAt.has(sessionId), 5000);
  });
});
