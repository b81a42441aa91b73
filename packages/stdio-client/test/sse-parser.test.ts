import { describe, expect, it } from "vitest";
import { type SseEvent, SseParser } from "../src/sse-parser.js";

function parse(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const chunk of chunks) parser.push(Buffer.from(chunk));
  return events;
}

describe("SseParser", () => {
  it("parses events split across chunks, with ids, retry and multi-line data", () => {
    const events = parse([
      "event: endpoint\nda",
      "ta: /messages?s=1\n\n",
      "id: 7\nretry: 300\ndata: a\ndata: b\n\n",
    ]);
    expect(events).toEqual([
      { event: "endpoint", data: "/messages?s=1" },
      { event: "message", data: "a\nb", id: "7", retry: 300 },
    ]);
  });

  it("handles CRLF and CR line ends, comments and a CR split from its LF", () => {
    const events = parse([": keep-alive\r\n", "data: x\r", "\n\r\ndata: y\r\r", "data: z\n\n"]);
    expect(events).toEqual([
      { event: "message", data: "x" },
      { event: "message", data: "y" },
      { event: "message", data: "z" },
    ]);
  });

  it("keeps multi-byte characters split across chunks intact", () => {
    const bytes = Buffer.from("data: héllo\n\n");
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    parser.push(bytes.subarray(0, 8));
    parser.push(bytes.subarray(8));
    expect(events).toEqual([{ event: "message", data: "héllo" }]);
  });

  it("reports a priming event with an id and empty data", () => {
    expect(parse(["id: p1\ndata: \n\n"])).toEqual([{ event: "message", data: "", id: "p1" }]);
  });
});
