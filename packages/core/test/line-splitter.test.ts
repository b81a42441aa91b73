import { describe, expect, it } from "vitest";
import { LineSplitter } from "../src/internal.js";

function split(chunks: string[], maxLineLength = 1000) {
  const lines: string[] = [];
  const overflows: number[] = [];
  const s = new LineSplitter({
    maxLineLength,
    onLine: (l) => lines.push(l),
    onOverflow: (n) => overflows.push(n),
  });
  for (const c of chunks) s.push(Buffer.from(c));
  s.flush();
  return { lines, overflows };
}

describe("LineSplitter", () => {
  it("joins lines split across chunks and strips CR", () => {
    expect(split(["ab", "c\r\nde", "f\n", "\n", "g"]).lines).toEqual(["abc", "def", "", "g"]);
  });

  it("keeps multi-byte characters split across chunks intact", () => {
    const bytes = Buffer.from("héllo ✓\n");
    const lines: string[] = [];
    const s = new LineSplitter({
      maxLineLength: 100,
      onLine: (l) => lines.push(l),
      onOverflow: () => {},
    });
    for (const b of bytes) s.push(Buffer.from([b]));
    expect(lines).toEqual(["héllo ✓"]);
  });

  it("drops an over-long line, reports it, and carries on with the next", () => {
    const { lines, overflows } = split(["x".repeat(60), "y".repeat(60), "\nok\n"], 100);
    expect(lines).toEqual(["ok"]);
    expect(overflows).toEqual([120]);
  });

  it("drops an over-long line that arrives whole in one chunk", () => {
    const { lines, overflows } = split([`${"z".repeat(150)}\nfine\r\nnext`], 100);
    expect(lines).toEqual(["fine", "next"]);
    expect(overflows).toEqual([150]);
  });

  it("sends many small lines of one chunk each to the callback, in order", () => {
    const { lines } = split(["a\nb\r\nc\n"]);
    expect(lines).toEqual(["a", "b", "c"]);
  });

  it("drops a line that cannot be JSON past the noise bound as it streams, keeping JSON lines to the line bound", () => {
    const lines: string[] = [];
    const overflows: number[] = [];
    const s = new LineSplitter({
      maxLineLength: 1000,
      maxNoiseLength: 10,
      onLine: (l) => lines.push(l),
      onOverflow: (n) => overflows.push(n),
    });
    // Both lines arrive in pieces, as large output from a pipe does.
    for (const part of [
      "  junk",
      " that goes",
      " on and on",
      "\n",
      '  {"jsonrpc"',
      `:"2.0","x":"${"y".repeat(50)}"}`,
      "\n",
    ]) {
      s.push(Buffer.from(part));
    }
    expect(overflows).toEqual([26]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ jsonrpc: "2.0" });
  });
});
