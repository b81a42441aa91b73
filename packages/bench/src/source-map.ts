// Maps a position in a built file (dist/*.js) back to its TypeScript source through the
// file's .map, so profile hot spots name src/<file>.ts:<line>. Only what that needs:
// base64 VLQ "mappings" decoding and a lookup by generated line and column.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

type Segment = [column: number, source: number, line: number];

interface LoadedMap {
  sources: string[];
  lines: Segment[][];
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const cache = new Map<string, LoadedMap | null>();

/** `{ file, line }` (1-based line) in the original source, or undefined without a map. */
export function originalPosition(
  file: string,
  line0: number,
  column0: number,
): { file: string; line: number } | undefined {
  const map = load(file);
  const segments = map?.lines[line0];
  if (!map || !segments || segments.length === 0) return undefined;
  let found: Segment | undefined;
  for (const segment of segments) {
    if (segment[0] > column0) break;
    found = segment;
  }
  found ??= segments[0]!;
  return { file: map.sources[found[1]] ?? "?", line: found[2] + 1 };
}

function load(file: string): LoadedMap | undefined {
  if (!cache.has(file)) cache.set(file, parse(file));
  return cache.get(file) ?? undefined;
}

function parse(file: string): LoadedMap | null {
  const path = `${file}.map`;
  if (!existsSync(path)) return null;
  const raw = JSON.parse(readFileSync(path, "utf8")) as { sources: string[]; mappings: string };
  const sources = raw.sources.map((s) => resolve(dirname(file), s));
  const lines: Segment[][] = [];
  let source = 0;
  let srcLine = 0;
  for (const lineText of raw.mappings.split(";")) {
    const segments: Segment[] = [];
    let column = 0;
    for (const text of lineText.split(",")) {
      if (!text) continue;
      const values = decodeVlq(text);
      column += values[0] ?? 0;
      if (values.length >= 4) {
        source += values[1]!;
        srcLine += values[2]!;
        segments.push([column, source, srcLine]);
      }
    }
    lines.push(segments);
  }
  return { sources, lines };
}

function decodeVlq(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}
