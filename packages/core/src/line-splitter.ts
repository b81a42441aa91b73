// Splits a byte stream into newline-delimited lines without quadratic
// re-concatenation: chunks are kept as a list until a newline completes a line.
// A line longer than `maxLineLength` is dropped (reported) rather than buffered.

export interface LineSplitterOptions {
  maxLineLength: number;
  onLine: (line: string) => void;
  onOverflow: (length: number) => void;
}

export class LineSplitter {
  #chunks: Buffer[] = [];
  #length = 0;
  #discarding = false;
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
    this.#length += part.length;
    if (this.#length > this.#options.maxLineLength) {
      this.#discarding = true;
      this.#chunks = [];
      return;
    }
    if (part.length > 0) this.#chunks.push(part);
  }

  #emit(): void {
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
