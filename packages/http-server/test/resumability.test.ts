// A dropped stream resumed with Last-Event-ID receives each missed event
// exactly once, whether the request finished meanwhile or is still running.
import { waitFor } from "@mcp-proxy/test-utils";
import { describe, expect, it } from "vitest";
import { InMemoryEventStore } from "../src/index.js";
import { JSON_HEADERS, rawInitialize, startEcho } from "./helpers.js";
import { readSse, type SseEvent } from "./sse-client.js";

const slowCall = (steps: number, ms: number) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id: 42,
    method: "tools/call",
    params: { name: "slow", arguments: { ms, steps }, _meta: { progressToken: "tok" } },
  });

/** Opens the slow call, reads until the first event with an id, then drops the connection. */
async function startAndDrop(
  url: string,
  sessionId: string,
  steps: number,
  ms: number,
): Promise<SseEvent> {
  const abort = new AbortController();
  const res = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: { ...JSON_HEADERS, "Mcp-Session-Id": sessionId },
    body: slowCall(steps, ms),
    signal: abort.signal,
  });
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  expect(res.headers.get("cache-control")).toContain("no-store");
  expect(res.headers.get("x-accel-buffering")).toBe("no");
  for await (const event of readSse(res)) {
    if ("data" in event && event.id) {
      abort.abort();
      return event;
    }
  }
  throw new Error("stream ended without an event id");
}

async function resume(url: string, sessionId: string, lastEventId: string): Promise<SseEvent[]> {
  const res = await fetch(`${url}/mcp`, {
    headers: {
      Accept: "text/event-stream",
      "Mcp-Session-Id": sessionId,
      "Last-Event-ID": lastEventId,
    },
  });
  expect(res.status).toBe(200);
  const events: SseEvent[] = [];
  for await (const event of readSse(res)) {
    if (!("data" in event)) continue;
    events.push(event);
    if (JSON.parse(event.data).id === 42) break;
  }
  return events;
}

const progressOf = (events: SseEvent[]) =>
  events
    .map((e) => JSON.parse(e.data))
    .filter((m) => m.method === "notifications/progress")
    .map((m) => m.params.progress);

describe("resumability", () => {
  it("replays what was missed after the request finished, exactly once", async () => {
    const store = new InMemoryEventStore();
    const { url } = await startEcho({ eventStore: store });
    const sessionId = await rawInitialize(url);
    const first = await startAndDrop(url, sessionId, 4, 200);
    expect(JSON.parse(first.data).params.progress).toBe(1);
    // Wait until the call has finished upstream (its response is stored).
    await waitFor(async () => {
      let last: unknown;
      await store.replayEventsAfter(first.id as string, {
        send: async (_id, m) => {
          last = m;
        },
      });
      return (last as { id?: number } | undefined)?.id === 42;
    }, 5000);
    const events = await resume(url, sessionId, first.id as string);
    expect(progressOf(events)).toEqual([2, 3, 4]);
    expect(events.filter((e) => JSON.parse(e.data).id === 42)).toHaveLength(1);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it("resumes a running request: missed events then live ones, none twice", async () => {
    const { url } = await startEcho();
    const sessionId = await rawInitialize(url);
    const first = await startAndDrop(url, sessionId, 6, 600);
    const events = await resume(url, sessionId, first.id as string);
    expect(progressOf(events)).toEqual([2, 3, 4, 5, 6]);
    expect(JSON.parse(events.at(-1)?.data ?? "{}").result.content[0].text).toBe("done after 600ms");
  });

  it("an unknown Last-Event-ID ends the stream without events", async () => {
    const { url } = await startEcho();
    const sessionId = await rawInitialize(url);
    const res = await fetch(`${url}/mcp`, {
      headers: {
        Accept: "text/event-stream",
        "Mcp-Session-Id": sessionId,
        "Last-Event-ID": "bogus~3",
      },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });
});

describe("InMemoryEventStore", () => {
  const msg = (n: number) => ({ jsonrpc: "2.0" as const, method: "n", params: { n } });

  it("refuses bounds that would keep nothing or everything", () => {
    for (const bad of [0, -1, Number.NaN, 1.5]) {
      expect(() => new InMemoryEventStore({ maxEvents: bad })).toThrow(TypeError);
      expect(() => new InMemoryEventStore({ maxEventsPerStream: bad })).toThrow(
        /maxEventsPerStream/,
      );
    }
    expect(() => new InMemoryEventStore({ maxEvents: 1, maxEventsPerStream: 1 })).not.toThrow();
  });

  it("is bounded per stream and in total, evicting the oldest", async () => {
    const store = new InMemoryEventStore({ maxEventsPerStream: 3, maxEvents: 5 });
    const a: string[] = [];
    for (let i = 1; i <= 5; i++) a.push(await store.storeEvent("a", msg(i)));
    expect(store.size).toBe(3);
    for (let i = 1; i <= 3; i++) await store.storeEvent("b", msg(i));
    expect(store.size).toBe(5);
    const replayed: number[] = [];
    await store.replayEventsAfter(a[0] as string, {
      send: async (_id, m) => void replayed.push((m as ReturnType<typeof msg>).params.n),
    });
    // a3 was evicted by the total cap; a4 and a5 remain.
    expect(replayed).toEqual([4, 5]);
    expect(await store.getStreamIdForEventId(a[4] as string)).toBe("a");
    store.removeStream("a");
    expect(store.size).toBe(3);
  });
});

describe("standalone stream", () => {
  it.each([true, false])(
    "delivers what the server said before the GET opened (event store: %s)",
    async (withStore) => {
      const { url } = await startEcho(withStore ? {} : { eventStore: false });
      const sessionId = await rawInitialize(url);
      // A JSON-only client: the notify tool's notifications cannot ride on its response.
      const call = await fetch(`${url}/mcp`, {
        method: "POST",
        headers: { ...JSON_HEADERS, Accept: "application/json", "Mcp-Session-Id": sessionId },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "notify", arguments: {} },
        }),
      });
      expect(
        ((await call.json()) as { result: { content: Array<{ text: string }> } }).result.content[0]
          ?.text,
      ).toBe("notified");
      const abort = new AbortController();
      const res = await fetch(`${url}/mcp`, {
        headers: { Accept: "text/event-stream", "Mcp-Session-Id": sessionId },
        signal: abort.signal,
      });
      const methods: string[] = [];
      for await (const event of readSse(res)) {
        if (!("data" in event)) continue;
        expect(event.id !== undefined).toBe(withStore);
        methods.push(JSON.parse(event.data).method);
        if (methods.length === 3) break;
      }
      abort.abort();
      expect(methods).toEqual([
        "notifications/message",
        "notifications/tools/list_changed",
        "notifications/resources/updated",
      ]);
    },
  );
});
