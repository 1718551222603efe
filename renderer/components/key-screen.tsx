// Shown in browser mode without an owner key: where to find it, and a field to paste it.
import { useState } from "react";
import { OWNER_KEY_PATTERN } from "../browser-auth.ts";

export function KeyScreen({ rejected, onKey }: { rejected: boolean; onKey: (key: string) => void }) {
  const [key, setKey] = useState("");
  const valid = OWNER_KEY_PATTERN.test(key.trim());
  return (
    <main className="key-screen" data-testid="key-screen">
      <div className="card">
        <h1>
          <span className="logo" aria-hidden="true" /> Hearth
        </h1>
        {rejected ? (
          <p className="error-note" role="alert">
            This window&apos;s key was refused. It may belong to another data directory, or Hearth was reset.
          </p>
        ) : (
          <p>This window needs the machine owner&apos;s key to talk to Hearth.</p>
        )}
        <ol>
          <li>
            <code>hearth serve</code> prints a link with the key when it starts; open that link.
          </li>
          <li>
            Or paste the key from <code>owner.key</code> in Hearth&apos;s data directory (
            <code>$HEARTH_DATA</code>, by default <code>~/.local/share/hearth/owner.key</code>).
          </li>
        </ol>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (valid) onKey(key.trim());
          }}
        >
          <input
            type="password"
            autoComplete="off"
            placeholder="hok_…"
            aria-label="Owner key"
            data-testid="key-input"
            value={key}
            onChange={(e) => setKey(e.target.value)}
          />
          <button className="btn primary" type="submit" disabled={!valid} data-testid="key-submit">
            Continue
          </button>
        </form>
        <p className="muted">
          The key stays in this tab only (session storage) and is sent only to this address.
        </p>
      </div>
    </main>
  );
}
