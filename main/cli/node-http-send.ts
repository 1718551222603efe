// The CLI's transport for plain calls: node:http (https for https URLs) instead of fetch, whose first use in a process
// loads and compiles undici, about 70 ms of a command's run here; the event streams still go through fetch.
import { request as httpRequest } from "node:http";
import type { SendRequest } from "../client/http-client.ts";

/** fetch's own limit, kept: an answer (its headers, or the next piece of its body) silent this long is given up. */
export const SILENCE_LIMIT_MS = 300_000;
/** The code of that failure, which main/cli/connection.ts turns into HEARTH_TIMEOUT. */
export const SILENCE_CODE = "HEARTH_ANSWER_TIMEOUT";

export function nodeHttpSend(silenceMs = SILENCE_LIMIT_MS): SendRequest {
  return async (url, req) => {
    const target = new URL(url);
    const request = target.protocol === "https:" ? (await import("node:https")).request : httpRequest;
    return new Promise((resolve, reject) => {
      const r = request(target, { method: req.method, headers: req.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      });
      r.setTimeout(silenceMs, () =>
        r.destroy(
          Object.assign(new Error(`${target.host} sent nothing for ${silenceMs / 1000} s`), {
            code: SILENCE_CODE,
          }),
        ),
      );
      r.on("error", reject);
      r.end(req.body);
    });
  };
}
