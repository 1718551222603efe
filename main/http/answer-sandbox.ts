// Answers on the window's origin that are not the window's own files: nothing in them runs as that origin.
//
// The window and the APIs built from tasks share one origin (one port, so that a user needs one address and the
// CLI one URL). What keeps a task's answer from acting as the window is here: every answer but the window's files
// carries `Content-Security-Policy: sandbox`, so a page a task wrote gets an opaque origin of its own and runs no
// script; no answer may widen a service worker's scope or clear the origin's data; and no request for a service
// worker's script is served at all, since the window registers none.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HearthError } from "../domain/model/errors.ts";
import { sendNativeError } from "./native/native-errors.ts";
import { isWindowFile } from "./ui-static.ts";

/** No `allow-*` token: no script, no same-origin access, no forms, no popups. */
export const ANSWER_CSP = "sandbox";

/** Headers by which one answer could act on the whole origin; a task's answer never carries them. */
const ORIGIN_WIDE_HEADERS = ["service-worker-allowed", "clear-site-data"];

export function sandboxAnswers(server: FastifyInstance): void {
  server.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.headers["service-worker"] !== undefined) {
      return sendNativeError(
        reply,
        new HearthError("FORBIDDEN", "this port serves no service worker script", "Service-Worker"),
      );
    }
    if (isWindowFile(req)) return;
    // Hijacked replies (server-sent events) skip onSend: theirs start with these.
    reply.raw.setHeader("content-security-policy", ANSWER_CSP);
    reply.raw.setHeader("x-content-type-options", "nosniff");
  });
  server.addHook("onSend", async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (isWindowFile(req)) return payload;
    // A task's own policy stays, and applies on top: two policies both hold.
    const own = reply.getHeader("content-security-policy");
    const policies = (own === undefined ? [] : Array.isArray(own) ? own : [own])
      .map(String)
      .filter((p) => p !== ANSWER_CSP);
    reply.header("content-security-policy", policies.length ? [...policies, ANSWER_CSP] : ANSWER_CSP);
    reply.header("x-content-type-options", "nosniff");
    for (const name of ORIGIN_WIDE_HEADERS) reply.removeHeader(name);
    return payload;
  });
}
