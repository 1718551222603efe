// A HearthApi stand-in for store tests: answers each operation from a table and records what was called.
import type {
  HearthApi,
  InputOf,
  InvocationEvent,
  OperationName,
  OutputOf,
  VmView,
} from "../../../main/contract.ts";

type Handlers = { [N in OperationName]?: (input: InputOf<N>) => OutputOf<N> | Promise<OutputOf<N>> };

export interface FakeApi extends HearthApi {
  calls: { name: OperationName; input: unknown }[];
  /** What invokeStream emits, in order; a function may wait between events. */
  stream: (emit: (e: InvocationEvent) => void) => Promise<void>;
  /** Pool feeds opened with poolEvents, in order; a test pushes changes or a failure through them. */
  poolFeeds: PoolFeed[];
}

export interface PoolFeed {
  onChange: (vm: VmView) => void;
  onError?: (error: { code: string; message: string }) => void;
  profile?: string;
  stopped: boolean;
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
    poolFeeds: [],
    poolEvents(onChange, profile, onError) {
      const feed: PoolFeed = {
        onChange,
        stopped: false,
        ...(onError ? { onError } : {}),
        ...(profile !== undefined ? { profile } : {}),
      };
      api.poolFeeds.push(feed);
      return () => void (feed.stopped = true);
    },
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
