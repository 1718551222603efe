// Preloaded with `node --import` by tests: appends the URL of every module the process loads to the file named by
// HEARTH_TEST_MODULES_LOG, so a test can see what a command really loaded.
import { appendFileSync } from "node:fs";
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

// This same file is the hooks module too, and the hooks run on a thread of their own.
if (isMainThread) register(import.meta.url);

/** @type {(url: string, context: unknown, next: (url: string, context: unknown) => unknown) => unknown} */
export function load(url, context, next) {
  const log = process.env.HEARTH_TEST_MODULES_LOG;
  if (log) appendFileSync(log, `${url}\n`);
  return next(url, context);
}
