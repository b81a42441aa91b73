// Every session's start and end is logged at info, for every transport, with
// what ended it.
import { waitFor } from "@mcp-proxy/test-utils";
import { describe, expect, it } from "vitest";
import { rawInitialize, recordingLogger, startEcho } from "./helpers.js";
import { readSse } from "./sse-client.js";

const ended = (lines: Array<[string, Record<string, unknown>]>, session: string) =>
  lines.find(([message, fields]) => message === "session closed" && fields.session === session);

describe("session logs", () => {
  it("Streamable HTTP: created, then closed by DELETE or by the idle timeout", async () => {
    const { logger, lines } = recordingLogger();
    const { url } = await startEcho({ logger, sessionTimeout: 200 });
    const deleted = await rawInitialize(url);
    expect(lines).toContainEqual([
      "session created",
      { session: deleted, transport: "streamable-http" },
    ]);
    await (
      await fetch(`${url}/mcp`, { method: "DELETE", headers: { "Mcp-Session-Id": deleted } })
    ).text();
    await waitFor(() => ended(lines, deleted) !== undefined, 5000);
    expect(ended(lines, deleted)?.[1]).toMatchObject({ reason: "DELETE" });
    const idle = await rawInitialize(url);
    await waitFor(() => ended(lines, idle) !== undefined, 10_000);
    expect(ended(lines, idle)?.[1]).toMatchObject({ reason: "idle timeout" });
  });

  it("HTTP+SSE: created, then closed when the client closes its stream", async () => {
    const { logger, lines } = recordingLogger();
    const { url } = await startEcho({ logger });
    const abort = new AbortController();
    const stream = await fetch(`${url}/sse`, {
      headers: { Accept: "text/event-stream" },
      signal: abort.signal,
    });
    const first = await readSse(stream).next();
    const endpoint = (first.value as { data: string }).data;
    const session = new URL(endpoint, url).searchParams.get("sessionId") as string;
    await waitFor(
      () => lines.some(([m, f]) => m === "session created" && f.session === session),
      5000,
    );
    abort.abort();
    await waitFor(() => ended(lines, session) !== undefined, 5000);
    expect(ended(lines, session)?.[1]).toMatchObject({
      transport: "sse",
      reason: "client closed the stream",
    });
  });
});
