// Reads a text/event-stream body (from any byte stream) into its events, the way EventSource does; comments skipped.

export interface ServerSentEvent {
  event: string;
  data: string;
}

/** What one event may hold at most: a longer one is a broken or hostile stream, not a log line. */
export const MAX_EVENT_BYTES = 8 * 1024 * 1024;

/**
 * Parses line by line as bytes arrive: every character is looked at once, and only the unfinished line is kept
 * beside the event being read, so a sender that trickles a huge event byte by byte costs linear time, not a rescan
 * of everything buffered per chunk. Sizes are counted in UTF-16 units, close enough to bytes for a bound.
 */
export async function* readServerSentEvents(
  body: AsyncIterable<Buffer | Uint8Array | string>,
  maxEventBytes: number = MAX_EVENT_BYTES,
): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  /** The pieces of the line not yet ended, joined only when it ends. */
  let partial: string[] = [];
  let partialSize = 0;
  let event = "message";
  let data: string[] = [];
  let eventSize = 0;
  /** The last chunk ended in \r: a \n starting the next one belongs to the same line end. */
  let afterCarriageReturn = false;

  const tooLarge = (): Error => new Error(`an event of the stream is larger than ${maxEventBytes} bytes`);
  /** Takes one whole line; answers the event a blank line completes, if it has data. */
  const takeLine = (line: string): ServerSentEvent | null => {
    if (line === "") {
      const done = data.length > 0 ? { event, data: data.join("\n") } : null;
      event = "message";
      data = [];
      eventSize = 0;
      return done;
    }
    eventSize += line.length + 1;
    if (eventSize > maxEventBytes) throw tooLarge();
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    return null;
  };

  for await (const chunk of body) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    if (text === "") continue;
    const skipLeadingLineFeed = afterCarriageReturn;
    afterCarriageReturn = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (i === 0 && c === 10 && skipLeadingLineFeed) {
        // The \n of a \r\n split between chunks: the line already ended at the \r.
        start = 1;
        continue;
      }
      const piece = text.slice(start, i);
      const line = partialSize === 0 ? piece : partial.join("") + piece;
      partial = [];
      partialSize = 0;
      if (c === 13) {
        if (i + 1 === text.length) afterCarriageReturn = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      const done = takeLine(line);
      if (done) yield done;
    }
    if (start < text.length) {
      partial.push(text.slice(start));
      partialSize += text.length - start;
      if (eventSize + partialSize > maxEventBytes) throw tooLarge();
    }
  }
  // A stream cut off mid-event has no complete event left: what remains is dropped, as EventSource does.
}
