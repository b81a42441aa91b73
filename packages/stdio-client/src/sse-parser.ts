// An incremental parser for text/event-stream bodies (the WHATWG "server-sent
// events" format): bytes in, complete events out, across chunk boundaries.

export interface SseEvent {
  /** The `event:` field; "message" when absent. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The `id:` field, if this event set one. */
  id?: string;
  /** The `retry:` field in ms, if this event set one. */
  retry?: number;
}

export class SseParser {
  readonly #decoder = new TextDecoder("utf-8");
  readonly #onEvent: (event: SseEvent) => void;
  #buffer = "";
  #data: string[] = [];
  #event = "";
  #id: string | undefined;
  #retry: number | undefined;
  #sawField = false;

  constructor(onEvent: (event: SseEvent) => void) {
    this.#onEvent = onEvent;
  }

  push(chunk: Uint8Array | string): void {
    this.#buffer +=
      typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const cr = this.#buffer.indexOf("\r", start);
      const lf = this.#buffer.indexOf("\n", start);
      let end: number;
      let next: number;
      if (cr === -1 && lf === -1) break;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        // A lone CR at the end may be the first half of CRLF: wait for more.
        if (cr === this.#buffer.length - 1) break;
        end = cr;
        next = this.#buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
      } else {
        end = lf;
        next = lf + 1;
      }
      this.#line(this.#buffer.slice(start, end));
      start = next;
    }
    this.#buffer = this.#buffer.slice(start);
  }

  #line(line: string): void {
    if (line === "") {
      this.#dispatch();
      return;
    }
    if (line.startsWith(":")) return; // comment (keep-alive)
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.#data.push(value);
        this.#sawField = true;
        break;
      case "event":
        this.#event = value;
        this.#sawField = true;
        break;
      case "id":
        if (!value.includes("\0")) this.#id = value;
        this.#sawField = true;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.#retry = Number(value);
        this.#sawField = true;
        break;
      default:
        break;
    }
  }

  #dispatch(): void {
    if (!this.#sawField) return;
    const event: SseEvent = { event: this.#event || "message", data: this.#data.join("\n") };
    if (this.#id !== undefined) event.id = this.#id;
    if (this.#retry !== undefined) event.retry = this.#retry;
    this.#data = [];
    this.#event = "";
    this.#id = undefined;
    this.#retry = undefined;
    this.#sawField = false;
    this.#onEvent(event);
  }
}
