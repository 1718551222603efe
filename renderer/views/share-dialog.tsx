// The share dialog: the owner picks how long a teammate's token lives and how often it may be called, then copies the
// hearth://share link, a pinned curl line and the teammate's aws line, all shown this once.
import { useEffect, useState } from "react";
import { useStore } from "zustand";
import { CopyField } from "../components/copy-button.tsx";
import { ButtonRow, CancelButton, Field, Form, SubmitButton } from "../components/form.tsx";
import { ErrorNote } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import type { ReadableError } from "../logic/errors.ts";
import { formatWhen } from "../logic/format.ts";
import { parseRateLimitText } from "../stores/share-store.ts";
import { expiryIndex, TOKEN_EXPIRIES, TokenLimitFields } from "../components/token-limit-fields.tsx";

export function ShareDialog() {
  const { share, aliases, apis } = useStores();
  const st = useStore(share);
  const held = useStore(aliases, (s) => s.items);
  const apiList = useStore(apis, (s) => s.items);
  const alias = held.find((a) => a.id === st.aliasId);
  const sharedApi = apiList.find((a) => a.id === st.apiId);
  const [name, setName] = useState("");
  const [label, setLabel] = useState("");
  const [expiry, setExpiry] = useState(() => expiryIndex("7 days"));
  const [rate, setRate] = useState("60");
  const [local, setLocal] = useState<ReadableError | null>(null);

  useEffect(() => {
    if (st.aliasId === null && st.apiId === null) return;
    setName(alias?.task.name ?? "");
    setLabel("");
    setLocal(null);
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") share.getState().close();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
    // The form resets when the dialog opens for an alias, not on every refresh of the alias list.
  }, [st.aliasId, st.apiId, share]);

  if (st.aliasId === null && st.apiId === null) return null;
  const a = st.answer;
  const forApi = st.apiId !== null;
  const title = forApi
    ? `API ${sharedApi?.name ?? st.apiId}`
    : alias
      ? `${alias.task.name}:${alias.name}`
      : st.aliasId;

  return (
    <div className="modal-backdrop" onClick={() => share.getState().close()}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="share-title"
        data-testid="share-dialog"
        onClick={(e) => e.stopPropagation()}
      >
        <h2 id="share-title">Share {title} with a teammate</h2>
        {st.apiAnswer ? (
          <div className="once" data-testid="share-answer" data-token-id={st.apiAnswer.token.id}>
            <p>
              Shown this once: Hearth keeps only the token&apos;s hash. Token {st.apiAnswer.token.hint},
              expires {formatWhen(st.apiAnswer.token.expiresAt, Date.now())}
              {st.apiAnswer.token.rateLimitPerMinute === null
                ? ", no rate limit"
                : `, ${st.apiAnswer.token.rateLimitPerMinute} calls/min`}
              .
            </p>
            <label>
              Share link (your teammate pastes it in Remote aliases, then calls the routes through their own
              Hearth)
            </label>
            <CopyField value={st.apiAnswer.link} testId="share-link" label="Copy link" />
            <label>The API&apos;s routes on this machine&apos;s shared listener</label>
            <CopyField value={st.apiAnswer.url} testId="share-api-url" label="Copy address" />
            <label>
              Call it with curl, pinned to this machine&apos;s certificate (add a route&apos;s path)
            </label>
            <CopyField value={st.apiAnswer.curl} testId="share-curl" label="Copy curl" />
            <button
              className="btn"
              type="button"
              data-testid="share-done"
              onClick={() => share.getState().close()}
            >
              Done
            </button>
          </div>
        ) : a === null ? (
          <Form
            testId="share-form"
            onSubmit={async () => {
              const limit = parseRateLimitText(rate);
              if ("error" in limit) {
                setLocal(limit.error);
                return;
              }
              setLocal(null);
              await share.getState().share({
                name,
                label,
                expiresInS: TOKEN_EXPIRIES[expiry]?.seconds ?? null,
                rateLimitPerMinute: limit.value,
              });
            }}
          >
            <p className="muted">
              {forApi
                ? "Mints a token for this API alone: your teammate calls its routes over the shared TLS listener, pinned to this machine's certificate."
                : "Mints a token for this alias alone and writes a link your teammate adds to their own Hearth. The code never leaves this machine; calls come in over the shared TLS listener."}
            </p>
            <div className="field-row">
              {!forApi && (
                <Field label="Their name for it">
                  <input
                    value={name}
                    data-testid="share-name"
                    placeholder={alias?.task.name ?? "name"}
                    onChange={(e) => setName(e.target.value)}
                  />
                </Field>
              )}
              <Field label="Label">
                <input
                  value={label}
                  data-testid="share-label"
                  placeholder="who it is for"
                  onChange={(e) => setLabel(e.target.value)}
                />
              </Field>
            </div>
            <div className="field-row">
              <TokenLimitFields
                testIdPrefix="share"
                expiryLabel="Expires after"
                expiry={expiry}
                onExpiry={setExpiry}
                rate={rate}
                onRate={setRate}
                error={local}
              />
            </div>
            <ErrorNote error={local ?? st.error} testId="share-error" />
            <ButtonRow className="run-row">
              <SubmitButton testId="share-submit" busy={st.busy} busyLabel="Sharing…">
                Create share link
              </SubmitButton>
              <CancelButton onCancel={() => share.getState().close()} />
            </ButtonRow>
          </Form>
        ) : (
          <div className="once" data-testid="share-answer" data-token-id={a.token.id}>
            <p>
              Shown this once: Hearth keeps only the token&apos;s hash. Token {a.token.hint}, expires{" "}
              {formatWhen(a.token.expiresAt, Date.now())}
              {a.token.rateLimitPerMinute === null
                ? ", no rate limit"
                : `, ${a.token.rateLimitPerMinute} calls/min`}
              .
            </p>
            <label>Share link (your teammate pastes it in Remote aliases, or runs hearth remote add)</label>
            <CopyField value={a.link} testId="share-link" label="Copy link" />
            <label>Call it directly with curl, pinned to this machine&apos;s certificate</label>
            <CopyField value={a.curl} testId="share-curl" label="Copy curl" />
            <label>Once imported, from your teammate&apos;s own Hearth with the AWS CLI</label>
            <CopyField value={a.aws} testId="share-aws" label="Copy aws" />
            <button
              className="btn"
              type="button"
              data-testid="share-done"
              onClick={() => share.getState().close()}
            >
              Done
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
