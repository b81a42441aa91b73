// Splits a text stream into records at a delimiter ("\n" for stdio lines, "\n\n" for
// SSE events). Only the new chunk is searched, so an 8 MiB record costs one join,
// not a rescan of the whole buffer per chunk.

export function recordSplitter(
  delimiter: string,
  onRecord: (record: string) => void,
): (chunk: string) => void {
  let parts: string[] = [];
  let tail = "";
  const keep = delimiter.length - 1;
  return (chunk) => {
    const probe = tail + chunk;
    if (!probe.includes(delimiter)) {
      parts.push(chunk);
      tail = keep > 0 ? probe.slice(-keep) : "";
      return;
    }
    let text = parts.length > 0 ? parts.join("") + chunk : chunk;
    parts = [];
    tail = "";
    for (let end = text.indexOf(delimiter); end !== -1; end = text.indexOf(delimiter)) {
      onRecord(text.slice(0, end));
      text = text.slice(end + delimiter.length);
    }
    if (text) {
      parts.push(text);
      tail = keep > 0 ? text.slice(-keep) : "";
    }
  };
}
