// A dropped stream resumed with Last-Event-ID receives each missed event
// exactly once, whether the request finished meanwhile or is still running;
// a resume from an event the store no longer has (or never issued) is refused.
import { waitFor } from "@mcp-proxy/test-utils";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { EventNotAvailableError, type EventStore, InMemoryEventStore } from "../src/index.js";
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

  it("refuses an unknown Last-Event-ID with 409", async () => {
    const { url } = await startEcho();
    const sessionId = await rawInitialize(url);
    const other = await rawInitialize(url);
    const events = await standaloneEvents(url, other, 3);
    // Never issued anywhere, never issued yet on a stream that exists, and another session's.
    const stream = String(events[0]?.id).split("~")[0];
    for (const id of ["bogus~3", "no-separator", `${stream}~99`]) {
      await expectRefused(await resumeRaw(url, other, id), id, "is unknown");
    }
    await expectRefused(
      await resumeRaw(url, sessionId, events[2]?.id as string),
      events[2]?.id as string,
      "is unknown",
    );
  });

  it("refuses a resume from an evicted event with 409, never a partial replay", async () => {
    const store = new InMemoryEventStore({ maxEventsPerStream: 2 });
    const { url } = await startEcho({ eventStore: store });
    const sessionId = await rawInitialize(url);
    // e1..e3 on the standalone stream; then e4..e6 while no client reads it (e4 evicted).
    const seen = await standaloneEvents(url, sessionId, 3);
    await notify(url, sessionId);
    const e3 = seen[2]?.id as string;
    await expectRefused(await resumeRaw(url, sessionId, e3), e3, "is no longer available");
    // From e4 (itself evicted) nothing is missing: e5 and e6 are replayed.
    const after = (n: number) => e3.replace(/\d+$/, (seq) => String(Number(seq) + n));
    const abort = new AbortController();
    const res = await resumeRaw(url, sessionId, after(1), abort.signal);
    expect(res.status).toBe(200);
    const replayed: string[] = [];
    for await (const event of readSse(res)) {
      if ("data" in event) replayed.push(event.id as string);
      if (replayed.length === 2) break;
    }
    abort.abort();
    expect(replayed).toEqual([after(2), after(3)]);
    // The client recovers as told: without Last-Event-ID the stream opens.
    const fresh = new AbortController();
    const again = await fetch(`${url}/mcp`, {
      headers: { Accept: "text/event-stream", "Mcp-Session-Id": sessionId },
      signal: fresh.signal,
    });
    expect(again.status).toBe(200);
    fresh.abort();
  });

  it("refuses a finished request stream whose events were evicted", async () => {
    const store = new InMemoryEventStore({ maxEventsPerStream: 2 });
    const { url } = await startEcho({ eventStore: store });
    const sessionId = await rawInitialize(url);
    // Read the whole call (4 progress events and the answer), then ask for what followed the first.
    const res = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...JSON_HEADERS, "Mcp-Session-Id": sessionId },
      body: slowCall(4, 40),
    });
    const ids: string[] = [];
    for await (const event of readSse(res)) if ("data" in event) ids.push(event.id as string);
    expect(ids).toHaveLength(5);
    const first = ids[0] as string;
    await expectRefused(await resumeRaw(url, sessionId, first), first, "is no longer available");
  });

  it("serves an SDK-shaped store, and refuses when it fails or says unknown", async () => {
    const inner = new InMemoryEventStore();
    let mode: "replay" | "throw" | "empty" = "replay";
    // The SDK's EventStore shape: no getStreamIdForEventId, no way to say "evicted".
    const store: EventStore = {
      storeEvent: (streamId, message) => inner.storeEvent(streamId, message),
      replayEventsAfter: async (lastEventId, { send }) => {
        if (mode === "replay") return inner.replayEventsAfter(lastEventId, { send });
        // What was sent before a failure is not written.
        await send(lastEventId, { jsonrpc: "2.0", method: "half-way" } as JSONRPCMessage);
        if (mode === "throw") throw new Error("backend down");
        return "";
      },
    };
    const { url } = await startEcho({ eventStore: store });
    const sessionId = await rawInitialize(url);
    const [first, second] = await standaloneEvents(url, sessionId, 2);
    const id = first?.id as string;
    const abort = new AbortController();
    const res = await resumeRaw(url, sessionId, id, abort.signal);
    expect(res.status).toBe(200);
    const next = await readSse(res).next();
    abort.abort();
    expect(next.value).toMatchObject({ id: second?.id });
    mode = "throw";
    await expectRefused(await resumeRaw(url, sessionId, id), id, "is unknown");
    mode = "empty";
    await expectRefused(await resumeRaw(url, sessionId, id), id, "is unknown");
  });
});

/** A GET with Last-Event-ID, as is. */
function resumeRaw(
  url: string,
  sessionId: string,
  lastEventId: string,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${url}/mcp`, {
    headers: {
      Accept: "text/event-stream",
      "Mcp-Session-Id": sessionId,
      "Last-Event-ID": lastEventId,
    },
    signal,
  });
}

async function expectRefused(res: Response, eventId: string, says: string): Promise<void> {
  expect(res.status).toBe(409);
  expect(res.headers.get("content-type")).toContain("application/json");
  expect(await res.json()).toEqual({
    jsonrpc: "2.0",
    id: null,
    error: {
      code: -32000,
      message: `Conflict: event ${eventId} ${says}; reconnect without Last-Event-ID`,
    },
  });
}

/**
 * The notify tool, from a JSON-only client: its three notifications go to the standalone stream.
 * Resolves to the tool's text.
 */
async function notify(url: string, sessionId: string): Promise<string | undefined> {
  const res = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: { ...JSON_HEADERS, Accept: "application/json", "Mcp-Session-Id": sessionId },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "notify", arguments: {} },
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: { content: Array<{ text: string }> } }).result.content[0]
    ?.text;
}

/** Opens the standalone stream, has the server say three things on it, reads `count`, and drops it. */
async function standaloneEvents(
  url: string,
  sessionId: string,
  count: number,
): Promise<SseEvent[]> {
  const abort = new AbortController();
  const res = await fetch(`${url}/mcp`, {
    headers: { Accept: "text/event-stream", "Mcp-Session-Id": sessionId },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  await notify(url, sessionId);
  const events: SseEvent[] = [];
  for await (const event of readSse(res)) {
    if ("data" in event) events.push(event);
    if (events.length === count) break;
  }
  abort.abort();
  return events;
}

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
    const send = async (_id: string, m: JSONRPCMessage) =>
      void replayed.push((m as ReturnType<typeof msg>).params.n);
    // a3 was evicted by the total cap; a4 and a5 remain: after a3 nothing is missing.
    await store.replayEventsAfter(a[2] as string, { send });
    expect(replayed).toEqual([4, 5]);
    // After a2, a3 is missing: refused, nothing sent.
    replayed.length = 0;
    await expect(store.replayEventsAfter(a[1] as string, { send })).rejects.toMatchObject({
      name: "EventNotAvailableError",
      code: "ERR_EVENT_NOT_AVAILABLE",
      reason: "evicted",
      eventId: a[1],
    });
    expect(replayed).toEqual([]);
    expect(await store.getStreamIdForEventId(a[4] as string)).toBe("a");
    store.removeStream("a");
    expect(store.size).toBe(3);
    // Gone with its stream, or never issued: unknown.
    for (const id of [a[4] as string, "b~4", "b~0", "b", "zz~1"]) {
      const refusal = await store.replayEventsAfter(id, { send }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(EventNotAvailableError);
      expect(refusal).toMatchObject({ reason: "unknown", eventId: id });
    }
    // The latest event: nothing after it, nothing missing.
    await expect(store.replayEventsAfter("b~3", { send })).resolves.toBe("b");
  });
});

describe("standalone stream", () => {
  it.each([true, false])(
    "delivers what the server said before the GET opened (event store: %s)",
    async (withStore) => {
      const { url } = await startEcho(withStore ? {} : { eventStore: false });
      const sessionId = await rawInitialize(url);
      // A JSON-only client: the notify tool's notifications cannot ride on its response.
      expect(await notify(url, sessionId)).toBe("notified");
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
