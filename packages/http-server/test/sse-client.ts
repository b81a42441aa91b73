// A tiny raw SSE reader for tests: yields parsed events from a fetch response.
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export async function* readSse(res: Response): AsyncGenerator<SseEvent | { comment: string }> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end !== -1) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        if (frame.startsWith(":")) {
          yield { comment: frame.slice(1).trim() };
          continue;
        }
        const event: SseEvent = { data: "" };
        for (const line of frame.split("\n")) {
          const colon = line.indexOf(":");
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, "");
          if (field === "id") event.id = value;
          else if (field === "event") event.event = value;
          else if (field === "data") event.data += value;
        }
        yield event;
      }
    }
  } finally {
    reader.releaseLock();
  }
}
