// A TLS connection to an owner's shared listener, trusted only if its certificate is the one a share link pinned.
import { isIP } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { certificateFingerprint } from "../store/tls-identity.ts";
import { RemoteInvokeError } from "./remote-error.ts";

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The address to dial for an endpoint's URL (brackets off an IPv6 literal; 443 when no port is named). */
export function hostOf(url: URL): { host: string; port: number } {
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 443) };
}

/** An endpoint as a URL, refused unless it is https: a shared listener speaks only TLS. */
export function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new RemoteInvokeError("REMOTE_UNREACHABLE", `"${endpoint.slice(0, 200)}" is not a URL`);
  }
  if (url.protocol !== "https:") {
    throw new RemoteInvokeError(
      "REMOTE_UNREACHABLE",
      `${url.origin} is not https: a shared listener speaks only TLS`,
    );
  }
  return url;
}

/**
 * Opens a TLS connection to the endpoint and checks the certificate it shows against `fingerprint`. The chain is
 * not checked (the certificate is self-signed): the pin is the whole of the trust, so any other certificate is
 * refused, and the socket is closed before anything is written on it.
 */
export function connectPinned(
  endpoint: string,
  fingerprint: string,
  timeoutMs: number = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<TLSSocket> {
  const url = parseEndpoint(endpoint);
  const { host, port } = hostOf(url);
  const pinned = fingerprint.toLowerCase();
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = tlsConnect({
      host,
      port,
      // SNI carries names only; Node warns when it is handed an address.
      ...(isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
      ALPNProtocols: ["http/1.1"],
    });
    const fail = (err: RemoteInvokeError): void => {
      socket.destroy();
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    const timer = setTimeout(
      () =>
        fail(
          new RemoteInvokeError(
            "REMOTE_UNREACHABLE",
            `${url.origin} did not complete a TLS handshake within ${Math.round(timeoutMs / 1000)} s`,
          ),
        ),
      timeoutMs,
    );
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (settled) return;
      fail(
        new RemoteInvokeError(
          "REMOTE_UNREACHABLE",
          `could not reach the owner's Hearth at ${url.origin} (${err.code ?? err.message}); is sharing on there?`,
        ),
      );
    });
    socket.once("secureConnect", () => {
      const raw = socket.getPeerCertificate()?.raw;
      const seen = raw ? certificateFingerprint(raw) : "no certificate";
      if (seen !== pinned) {
        fail(
          new RemoteInvokeError(
            "REMOTE_FINGERPRINT_MISMATCH",
            `${url.origin} showed a certificate with fingerprint ${seen}, not the pinned ${pinned}; nothing was ` +
              "sent. The owner may have a new certificate (ask for a new link), or something is in between.",
          ),
        );
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve(socket);
    });
  });
}
