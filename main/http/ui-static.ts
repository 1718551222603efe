// The window in browser mode: GET / and the bundle's few files from renderer/out/, under a strict CSP.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { WINDOW_CSP } from "../contract.ts";

export const UI_DIR = fileURLToPath(new URL("../../renderer/out/", import.meta.url));

/** Request path → file in the bundle: a fixed list, so no request can name any other file. */
const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/app.js.map": { file: "app.js.map", type: "application/json; charset=utf-8" },
  "/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
  "/app.css.map": { file: "app.css.map", type: "application/json; charset=utf-8" },
  "/favicon.svg": { file: "favicon.svg", type: "image/svg+xml" },
};

/** The window's policy (main/contract.ts), the same in Electron and in a browser. */
export const UI_CSP = WINDOW_CSP;

const SECURITY_HEADERS = {
  "content-security-policy": UI_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  // Files keep their names across builds: always ask whether they changed (the ETag makes that cheap).
  "cache-control": "no-cache",
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Hearth</title>
<p>Hearth's window is not built yet. Run <code>npm run build:ui</code> (or restart <code>hearth serve</code>, which
builds it) and reload this page. The API on this port works without it.</p>`;

/** Marks the window's own routes: they open from a link anywhere, and their answers keep the window's headers. */
const WINDOW_FILE = { windowFile: true };

/** Whether a request was routed to one of the window's own files. */
export function isWindowFile(req: FastifyRequest): boolean {
  return (req.routeOptions.config as { windowFile?: boolean } | undefined)?.windowFile === true;
}

export function registerUi(server: FastifyInstance, dir: string = UI_DIR): void {
  for (const [path, { file, type }] of Object.entries(FILES)) {
    server.get(path, { config: WINDOW_FILE }, async (req: FastifyRequest, reply: FastifyReply) => {
      reply.headers(SECURITY_HEADERS);
      let body: Buffer;
      try {
        body = await readFile(join(dir, file));
      } catch {
        if (file !== "index.html")
          return reply.code(404).type("text/plain; charset=utf-8").send("not found\n");
        return reply.code(503).type("text/html; charset=utf-8").send(NOT_BUILT);
      }
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
      reply.header("etag", etag);
      if (req.headers["if-none-match"] === etag) return reply.code(304).send();
      return reply.type(type).send(body);
    });
  }
}
