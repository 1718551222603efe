// The rules of a saved test event as plain values, apart from the zod schemas of test-events.ts, so that the window
// can check a name before it asks the host.

/** Letters, digits, `.`, `-` and `_`, not starting with a dot: safe as a file name and in a URL path. */
export const TEST_EVENT_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
/** Large enough for any sample event; small enough that the one document stays quick to write. */
export const MAX_TEST_EVENT_BYTES = 256 * 1024;
/** Per profile and task. */
export const MAX_TEST_EVENTS = 50;
