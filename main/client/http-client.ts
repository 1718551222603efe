// A client of the native API over fetch: calls any operation of main/contract.ts by name, and reads event streams.
import type {
  ErrorBody,
  InputOf,
  InvocationEvent,
  LogRecord,
  OperationName,
  OutputOf,
  VmView,
} from "../contract.ts";
import { LIVE_LOGS_PATH, POOL_EVENTS_PATH, PROFILE_HEADER, ROUTES } from "./operation-routes.ts";

export type Credentials =
  | { kind: "owner"; key: string; profile?: string }
  | { kind: "access-key"; accessKeyId: string; secretAccessKey: string }
  | { kind: "token"; token: string };

/** A failed call: the server's error code, message and field, and the HTTP status. */
export class HearthApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly field?: string,
  ) {
    super(`${code}: ${detail}${field ? ` (field: ${field})` : ""}`);
  }
}

/** A request as the client makes it: a method, plain headers and a text body. */
export interface PlainRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** Sends one request and reads its whole answer: all that call() needs of a transport. */
export type SendRequest = (url: string, request: PlainRequest) => Promise<{ status: number; text: string }>;

/** fetch, as in a browser: the transport unless a faster one is given (the CLI's, main/cli/node-http-send.ts). */
export const fetchSend: SendRequest = async (url, request) => {
  const res = await fetch(url, request);
  return { status: res.status, text: await res.text() };
};

export class HearthClient {
  constructor(
    readonly baseUrl: string,
    readonly credentials: Credentials | null,
    private readonly send: SendRequest = fetchSend,
  ) {}

  headers(): Record<string, string> {
    const c = this.credentials;
    if (!c) return {};
    if (c.kind === "owner") {
      return { authorization: `Bearer ${c.key}`, ...(c.profile ? { [PROFILE_HEADER]: c.profile } : {}) };
    }
    if (c.kind === "token") return { authorization: `Bearer ${c.token}` };
    const basic = btoa(`${c.accessKeyId}:${c.secretAccessKey}`);
    return { authorization: `Basic ${basic}` };
  }

  /** The request an operation becomes: path parameters filled in, the rest as query (GET/DELETE) or body. */
  request<N extends OperationName>(name: N, input: InputOf<N>): { url: string; init: PlainRequest } {
    const o = ROUTES[name];
    const rest: Record<string, unknown> = { ...(input as Record<string, unknown>) };
    const path = o.path.replace(/:([A-Za-z]+)/g, (_m, key: string) => {
      const v = rest[key];
      delete rest[key];
      if (v === undefined || v === null || v === "") throw new Error(`INVALID_INPUT: ${key} is required`);
      return encodeURIComponent(String(v));
    });
    let body: string | undefined;
    const headers: Record<string, string> = { ...this.headers() };
    if (o.rawBody) {
      body = String(rest[o.rawBody] ?? "");
      delete rest[o.rawBody];
      headers["content-type"] = "application/json";
    }
    const query = new URLSearchParams();
    const inQuery = o.rawBody !== undefined || o.method === "GET" || o.method === "DELETE";
    if (inQuery) {
      for (const [k, v] of Object.entries(rest)) if (v !== undefined) query.set(k, String(v));
    } else {
      body = JSON.stringify(rest);
      headers["content-type"] = "application/json";
    }
    const qs = query.toString();
    return {
      url: `${this.baseUrl.replace(/\/$/, "")}${path}${qs ? `?${qs}` : ""}`,
      init: { method: o.method, headers, ...(body !== undefined ? { body } : {}) },
    };
  }

  async call<N extends OperationName>(name: N, input: InputOf<N>): Promise<OutputOf<N>> {
    const { url, init } = this.request(name, input);
    const { status, text } = await this.send(url, init);
    if (status < 200 || status > 299) throw apiError(status, text);
    return JSON.parse(text) as OutputOf<N>;
  }

  /** Invokes with `mode: "stream"`: yields the start, each log line as it is printed, then the result. */
  async *invokeStream(input: Omit<InputOf<"invoke">, "mode">): AsyncGenerator<InvocationEvent> {
    const { url, init } = this.request("invoke", { ...input, mode: "stream" });
    const res = await fetch(url, init);
    if (!res.ok) throw apiError(res.status, await res.text());
    for await (const e of readEvents(res)) yield JSON.parse(e.data) as InvocationEvent;
  }

  /** The live tail of a task's log; ends when `signal` aborts. */
  async *liveLogs(
    q: { task: string; ownerAccountId?: string; invocation?: string },
    signal?: AbortSignal,
  ): AsyncGenerator<LogRecord> {
    const query = new URLSearchParams(
      Object.entries(q).filter(([, v]) => v !== undefined) as [string, string][],
    );
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl.replace(/\/$/, "")}${LIVE_LOGS_PATH}?${query}`, {
        headers: this.headers(),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    if (!res.ok) throw apiError(res.status, await res.text());
    try {
      for await (const e of readEvents(res)) if (e.event === "record") yield JSON.parse(e.data) as LogRecord;
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
  }

  /** The pool's changes: each VM whose state or sandboxes changed (the profile's, or every one owner-wide); ends when `signal` aborts. */
  async *poolEvents(signal?: AbortSignal): AsyncGenerator<VmView> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl.replace(/\/$/, "")}${POOL_EVENTS_PATH}`, {
        headers: this.headers(),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    if (!res.ok) throw apiError(res.status, await res.text());
    try {
      for await (const e of readEvents(res)) if (e.event === "vm") yield JSON.parse(e.data) as VmView;
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
  }
}

function apiError(status: number, text: string): HearthApiError {
  try {
    const { error } = JSON.parse(text) as ErrorBody;
    return new HearthApiError(status, error.code, error.message.replace(/^[A-Z_]+: /, ""), error.field);
  } catch {
    return new HearthApiError(status, `HTTP_${status}`, text.slice(0, 500) || "no answer body");
  }
}

/** Parses a text/event-stream body into events (event name and data), comments skipped. */
export async function* readEvents(res: Response): AsyncGenerator<{ event: string; data: string }> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = res.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      }
      if (data.length > 0) yield { event, data: data.join("\n") };
    }
  }
}
