// Reads a text/event-stream body (from any byte stream) into its events, the way EventSource does; comments skipped.

export interface ServerSentEvent {
  event: string;
  data: string;
}

/** What one event may hold at most: a longer one is a broken or hostile stream, not a log line. */
export const MAX_EVENT_BYTES = 8 * 1024 * 1024;

export async function* readServerSentEvents(
  body: AsyncIterable<Buffer | Uint8Array | string>,
  maxEventBytes: number = MAX_EVENT_BYTES,
): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let carriageReturn = false;
  for await (const chunk of body) {
    let text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    // Lines may end in \r\n, \n or \r; a \r at a chunk's end waits to see whether a \n follows it.
    if (carriageReturn) text = `\r${text}`;
    carriageReturn = text.endsWith("\r");
    if (carriageReturn) text = text.slice(0, -1);
    buffer += text.replace(/\r\n?/g, "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const e = parseBlock(block);
      if (e) yield e;
    }
    if (buffer.length > maxEventBytes) {
      throw new Error(`an event of the stream is larger than ${maxEventBytes} bytes`);
    }
  }
  // A stream cut off mid-event has no complete event left: what remains is dropped, as EventSource does.
}

function parseBlock(block: string): ServerSentEvent | null {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length > 0 ? { event, data: data.join("\n") } : null;
}
