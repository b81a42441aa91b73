// Splits a byte stream into newline-delimited lines without quadratic
// re-concatenation: chunks are kept as a list until a newline completes a line.
// A line longer than `maxLineLength` is dropped (reported) as it streams rather
// than buffered; one that cannot be JSON (it does not start with `{` or `[`,
// like a server's banner or a runaway print) is dropped past `maxNoiseLength`.

/** Default bound on a line that cannot be a JSON-RPC message. */
export const DEFAULT_MAX_NOISE_LENGTH = 64 * 1024;

export interface LineSplitterOptions {
  maxLineLength: number;
  /** Bound on a line whose first non-blank byte is not `{` or `[`. Default {@link DEFAULT_MAX_NOISE_LENGTH}. */
  maxNoiseLength?: number;
  onLine: (line: string) => void;
  onOverflow: (length: number) => void;
}

export class LineSplitter {
  #chunks: Buffer[] = [];
  #length = 0;
  #discarding = false;
  /** The bound of the line being buffered; undefined until its first non-blank byte is seen. */
  #limit: number | undefined;
  readonly #options: LineSplitterOptions;

  constructor(options: LineSplitterOptions) {
    this.#options = options;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      if (this.#length === 0 && !this.#discarding) {
        // Fast path, the common case: the whole line is inside this chunk, so
        // decode it straight from the chunk without a slice or a concat.
        const length = nl - start;
        if (length > this.#options.maxLineLength) this.#options.onOverflow(length);
        else this.#deliver(chunk.toString("utf8", start, nl));
      } else {
        this.#append(chunk.subarray(start, nl));
        this.#emit();
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.#append(chunk.subarray(start));
  }

  /** Emits whatever is left without a trailing newline (at end of stream). */
  flush(): void {
    if (this.#length > 0 || this.#discarding) this.#emit();
  }

  #append(part: Buffer): void {
    if (this.#discarding) {
      this.#length += part.length;
      return;
    }
    this.#limit ??= this.#limitFor(part);
    this.#length += part.length;
    if (this.#length > (this.#limit ?? this.#options.maxLineLength)) {
      this.#discarding = true;
      this.#chunks = [];
      return;
    }
    if (part.length > 0) this.#chunks.push(part);
  }

  /** The line's bound from its first non-blank byte in `part`, if there is one. */
  #limitFor(part: Buffer): number | undefined {
    for (const b of part) {
      if (b === 0x20 || b === 0x09 || b === 0x0d) continue;
      return b === 0x7b || b === 0x5b
        ? this.#options.maxLineLength
        : Math.min(
            this.#options.maxNoiseLength ?? DEFAULT_MAX_NOISE_LENGTH,
            this.#options.maxLineLength,
          );
    }
    return undefined;
  }

  #emit(): void {
    this.#limit = undefined;
    if (this.#discarding) {
      const length = this.#length;
      this.#discarding = false;
      this.#length = 0;
      this.#options.onOverflow(length);
      return;
    }
    const chunks = this.#chunks;
    const line =
      chunks.length === 1
        ? chunks[0]!.toString("utf8")
        : Buffer.concat(chunks, this.#length).toString("utf8");
    this.#chunks = [];
    this.#length = 0;
    this.#deliver(line);
  }

  #deliver(line: string): void {
    this.#options.onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  }
}
