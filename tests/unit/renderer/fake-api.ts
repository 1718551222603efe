// A HearthApi stand-in for store tests: answers each operation from a table and records what was called.
import type { HearthApi, InputOf, InvocationEvent, OperationName, OutputOf } from "../../../main/contract.ts";

type Handlers = { [N in OperationName]?: (input: InputOf<N>) => OutputOf<N> | Promise<OutputOf<N>> };

export interface FakeApi extends HearthApi {
  calls: { name: OperationName; input: unknown }[];
  /** What invokeStream emits, in order; a function may wait between events. */
  stream: (emit: (e: InvocationEvent) => void) => Promise<void>;
}

export function fakeApi(handlers: Handlers): FakeApi {
  const api: FakeApi = {
    calls: [],
    stream: async () => {},
    async call<N extends OperationName>(name: N, input: InputOf<N>): Promise<OutputOf<N>> {
      api.calls.push({ name, input });
      const h = handlers[name] as ((i: InputOf<N>) => OutputOf<N> | Promise<OutputOf<N>>) | undefined;
      if (!h) throw new Error(`NOT_FAKED: ${name}`);
      return h(input);
    },
    async invokeStream(input, onEvent) {
      api.calls.push({ name: "invoke", input });
      await api.stream(onEvent);
    },
    liveLogs: () => () => {},
  };
  return api;
}

/** What the HTTP client throws for a failed call. */
export function apiError(status: number, code: string, detail: string, field?: string): Error {
  return Object.assign(new Error(`${code}: ${detail}`), {
    status,
    code,
    detail,
    ...(field ? { field } : {}),
  });
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
