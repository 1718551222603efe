// Until the host is ready the window shows what it is doing (building the guest image, checking the machine,
// starting the VM pool) with its progress and last lines; then the app takes over.
import { useEffect, useState, type ReactNode } from "react";
import { useStore } from "zustand";
import type { HearthApi, StartupStatus } from "../../main/contract.ts";
import { formatMs } from "../logic/format.ts";
import { createStartupStore } from "../stores/startup-store.ts";
import { ErrorNote } from "./notes.tsx";

export function StartupGate({ api, children }: { api: Pick<HearthApi, "call">; children: ReactNode }) {
  const [store] = useState(() => createStartupStore(api));
  const s = useStore(store);
  useEffect(() => store.getState().watch(), [store]);
  if (s.ready) return <>{children}</>;
  return <StartupScreen status={s.status} unreachable={s.unreachable !== null} />;
}

export function StartupScreen({
  status,
  unreachable,
}: {
  status: StartupStatus | null;
  unreachable: boolean;
}) {
  const failed = status?.phase === "failed";
  return (
    <main className="startup" data-testid="startup" aria-busy={!failed}>
      <h1>{failed ? "Hearth could not start" : "Hearth is starting"}</h1>
      {!status && <p>{unreachable ? "Waiting for Hearth to answer…" : "Asking Hearth how far it is…"}</p>}
      {status && (
        <>
          <ol className="startup-phases" data-testid="startup-phases">
            {status.phases.map((p) => (
              <li key={p.phase} className="done">
                <span className="mark" aria-hidden="true">
                  ✓
                </span>{" "}
                {p.title} <span className="muted">({formatMs(p.ms)})</span>
              </li>
            ))}
            {!failed && (
              <li className="current" data-testid="startup-current">
                <span className="mark" aria-hidden="true">
                  …
                </span>{" "}
                {status.title}
                {status.step && (
                  <div className="startup-step" data-testid="startup-step">
                    <progress max={status.step.of} value={status.step.n - 1} />
                    <span>
                      step {status.step.n} of {status.step.of}: {status.step.message}
                    </span>
                  </div>
                )}
              </li>
            )}
          </ol>
          <p className="muted" data-testid="startup-elapsed">
            {formatMs(status.elapsedMs)} since the start
            {unreachable && !failed && " · the port is changing hands, retrying"}
          </p>
          {failed && (
            <ErrorNote
              testId="startup-error"
              error={{ code: "STARTING", message: status.error ?? "unknown error" }}
            />
          )}
          {failed && (
            <p>
              Hearth has stopped. Fix what the message says, then start it again (<code>npm start</code>).
            </p>
          )}
          {status.lines.length > 0 && (
            <pre className="startup-lines" data-testid="startup-lines">
              {status.lines.join("\n")}
            </pre>
          )}
        </>
      )}
    </main>
  );
}
