// A teammate's shared token API, called route by route through this machine's port: the profile's own credentials
// here, the shared token (never seen by the caller) on the pinned TLS connection to the owner's listener.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { REMOTE_API_PATH } from "../contract.ts";
import { HearthError } from "../domain/model/errors.ts";
import { findRemoteByName, remoteCallTarget } from "../domain/sharing/remotes.ts";
import type { Host } from "../host.ts";
import { noteRemoteUse } from "../remote/remote-calls.ts";
import { callRemoteApi } from "../remote/remote-api-call.ts";
import type { NativeAuth } from "./native/native-auth.ts";
import { remoteApiAnswer } from "./remote-api-answer.ts";
import { sendNativeError } from "./native/native-errors.ts";

/** An API Gateway HTTP API takes 10 MB payloads; the owner's gateway sets its own limit below that. */
const MAX_REMOTE_API_BODY_BYTES = 10 * 1024 * 1024;

export function registerRemoteApiProxy(
  server: FastifyInstance,
  app: Pick<Host, "store" | "remoteConnections">,
  auth: NativeAuth,
): void {
  const docs = app.store.documents;
  /** The profile each admitted request acts as. */
  const actors = new WeakMap<FastifyRequest, string>();
  /** On the request line and headers alone: a caller without credentials (or access) never sends a body. */
  const admit = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    try {
      const caller = auth.authenticate(docs.state, req.headers, req.ip);
      if (caller.kind === "token") {
        throw new HearthError("FORBIDDEN", "a token may only invoke the alias it was minted for");
      }
      if (caller.profileId === null) {
        throw new HearthError(
          "INVALID_INPUT",
          "name the profile to act as in the X-Hearth-Profile header",
          "profile",
        );
      }
      actors.set(req, caller.profileId);
      return undefined;
    } catch (err) {
      return sendNativeError(reply, err);
    }
  };
  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const profileId = actors.get(req);
      if (profileId === undefined) {
        throw new HearthError("UNAUTHENTICATED", "this request needs credentials", "Authorization");
      }
      const name = (req.params as { name: string }).name;
      const remote = findRemoteByName(docs.state, profileId, name);
      if (!remote || remote.kind !== "api") {
        throw new HearthError(
          "REMOTE_NOT_FOUND",
          remote
            ? `"${name}" is a remote alias, not an API: invoke it by its name`
            : `no remote API "${name.slice(0, 128)}" in your profile; add its share link first`,
          "name",
        );
      }
      const {
        remoteId: _id,
        name: _n,
        ...target
      } = remoteCallTarget(docs.state, profileId, remote.id, app.store.secrets);
      const rest = (req.params as { "*"?: string })["*"];
      const query = req.url.includes("?") ? req.url.slice(req.url.indexOf("?")) : "";
      const started = Date.now();
      const answer = await callRemoteApi(app.remoteConnections, target, {
        method: req.method,
        path: `${rest === undefined ? "" : `/${rest}`}${query}`,
        headers: Object.fromEntries(
          Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : [])),
        ),
        ...(Buffer.isBuffer(req.body) ? { body: req.body } : {}),
      });
      noteRemoteUse(app.store, profileId, remote, started);
      const shown = remoteApiAnswer(answer, name);
      return reply.code(shown.status).headers(shown.headers).send(shown.body);
    } catch (err) {
      return sendNativeError(reply, err);
    }
  };
  void server.register(async (scope) => {
    // The route's body goes to the owner as sent, whatever its type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: MAX_REMOTE_API_BODY_BYTES },
      (_req, body, done) => done(null, body),
    );
    scope.addHook("onRequest", admit);
    scope.all(`${REMOTE_API_PATH}/:name`, handle);
    scope.all(`${REMOTE_API_PATH}/:name/*`, handle);
  });
}
