// Tokens: give a teammate the right to invoke one alias and nothing else; shown once with ready commands; revocable.
import { useEffect, useState } from "react";
import { useStore } from "zustand";
import type { AliasView } from "../../main/contract.ts";
import { CopyField } from "../components/copy-button.tsx";
import { ButtonRow, Field, Form, SubmitButton } from "../components/form.tsx";
import { DangerButton, RecordList, RowActions } from "../components/list.tsx";
import { Badge, EmptyState, ErrorNote, matches } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { awsInvokeCommand, curlInvokeCommand } from "../logic/commands.ts";
import type { ReadableError } from "../logic/errors.ts";
import { formatWhen } from "../logic/format.ts";
import { parseRateLimitText } from "../stores/share-store.ts";
import { TOKEN_EXPIRIES, TokenLimitFields } from "../components/token-limit-fields.tsx";
import { tokenState } from "../stores/tokens-store.ts";

const aliasLabel = (a: AliasView | undefined, fallback: string) =>
  a ? `${a.task.name}:${a.name}${a.crossProfile ? " (cross-profile)" : ""}` : fallback;

export function TokensView() {
  const { tokens, aliases, ui, session, transport, share, logs } = useStores();
  const t = useStore(tokens);
  const held = useStore(aliases, (s) => s.items);
  const query = useStore(ui, (s) => s.query);
  const profiles = useStore(session, (s) => s.profiles);
  const activeId = useStore(session, (s) => s.activeId);
  const me = profiles.find((p) => p.id === activeId);
  const [aliasId, setAliasId] = useState("");
  const [label, setLabel] = useState("");
  const [expiry, setExpiry] = useState(0);
  const [rate, setRate] = useState("");
  const [error, setError] = useState<ReadableError | null>(null);
  const now = Date.now();
  const chosen = aliasId || held[0]?.id || "";
  const minted = t.minted;
  const mintedAlias = minted ? held.find((a) => a.id === minted.aliasId) : undefined;
  // Calls, last use and addresses change with every call a teammate makes: fresh figures each time the view opens.
  // The aliases too: one made from the CLI since would otherwise read as deleted.
  useEffect(() => {
    void tokens.getState().load();
    void aliases.getState().load();
  }, [tokens, aliases]);

  return (
    <section data-testid="view-tokens">
      <header className="view-head">
        <h1>Tokens</h1>
        <p>
          A token lets whoever holds it invoke one alias of this profile, and nothing else: no listing, no
          code, no other alias. Revoke it and it stops working at once. A token minted here works on this
          machine only; Share mints one that works from a teammate&apos;s machine too.
        </p>
      </header>
      {minted && (
        <div className="once" data-testid="minted-panel" data-token-id={minted.token.id}>
          <h3>Token for {aliasLabel(mintedAlias, minted.aliasId)}: copy it now</h3>
          <p>Shown this once: Hearth keeps only its hash.</p>
          <label>Token</label>
          <CopyField value={minted.secret} testId="minted-token" label="Copy token" />
          <label>Invoke it with curl</label>
          <CopyField
            value={curlInvokeCommand(transport.baseUrl, minted.secret)}
            testId="minted-curl"
            label="Copy curl"
          />
          {mintedAlias && (
            <>
              <label>
                Or with the AWS CLI{" "}
                <span className="muted">(signs with this profile&apos;s access key, not the token)</span>
              </label>
              <CopyField
                value={awsInvokeCommand(
                  transport.baseUrl,
                  {
                    task: mintedAlias.task.name,
                    alias: mintedAlias.name,
                    ownerAccountId: mintedAlias.task.ownerAccountId,
                  },
                  me?.accessKeyIds[0],
                )}
                testId="minted-aws"
                label="Copy aws"
              />
            </>
          )}
          <button
            className="btn"
            type="button"
            data-testid="minted-dismiss"
            onClick={() => tokens.getState().dismissMinted()}
          >
            Done
          </button>
        </div>
      )}
      {held.length === 0 ? (
        <EmptyState testId="empty-token-aliases" title="Tokens are minted for aliases">
          This profile has no alias yet. Create one in Aliases (say <code>prod</code> on a task), then mint a
          token for it here.{" "}
          <button className="btn small" type="button" onClick={() => ui.getState().go("aliases")}>
            Go to Aliases
          </button>
        </EmptyState>
      ) : (
        <Form
          className="panel form"
          testId="token-form"
          title="Mint a token"
          onSubmit={async () => {
            const limit = parseRateLimitText(rate);
            if ("error" in limit) {
              setError(limit.error);
              return;
            }
            const err = await tokens.getState().mint({
              aliasId: chosen,
              label,
              expiresInS: TOKEN_EXPIRIES[expiry]?.seconds ?? null,
              rateLimitPerMinute: limit.value,
            });
            setError(err);
            if (!err) setLabel("");
          }}
          error={error}
          errorTestId="token-error"
        >
          <div className="field-row">
            <Field label="For alias">
              <select
                value={chosen}
                data-testid="token-alias-select"
                onChange={(e) => setAliasId(e.target.value)}
              >
                {held.map((a) => (
                  <option key={a.id} value={a.id}>
                    {aliasLabel(a, a.id)}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Label">
              <input
                value={label}
                placeholder="who or what it is for"
                data-testid="token-label"
                onChange={(e) => setLabel(e.target.value)}
              />
            </Field>
            <TokenLimitFields
              testIdPrefix="token"
              expiry={expiry}
              onExpiry={setExpiry}
              rate={rate}
              onRate={setRate}
            />
          </div>
          <ButtonRow className="run-row">
            <SubmitButton testId="token-mint">Mint token</SubmitButton>
            <button
              className="btn"
              type="button"
              data-testid="token-share"
              disabled={!chosen}
              onClick={() => share.getState().open(chosen)}
            >
              Share with a teammate…
            </button>
          </ButtonRow>
        </Form>
      )}
      <ErrorNote error={t.error} />
      <RecordList
        none={t.loaded && t.items.length === 0}
        empty={
          <EmptyState testId="empty-tokens" title="No tokens yet">
            Minted tokens are listed here by their first characters, never in full.
          </EmptyState>
        }
        testId="tokens-table"
        columns={[
          "Label",
          "For",
          "Token",
          "State",
          {
            label: "Works from",
            title:
              "Where the token works: this machine's port only, or from other machines too (the shared listener)",
          },
          "Created",
          "Expires",
          "Limit",
          "Calls",
          "Last use",
          "Last call",
          "From",
          "",
        ]}
      >
        {t.items
          .filter((x) => {
            const scope = x.scope;
            const a = scope.kind === "alias" ? held.find((h) => h.id === scope.aliasId) : undefined;
            return matches(query, x.label, x.hint, a?.name, a?.task.name);
          })
          .map((x) => {
            const state = tokenState(x, now);
            const scope = x.scope;
            const target =
              scope.kind === "alias"
                ? aliasLabel(
                    held.find((h) => h.id === scope.aliasId),
                    "deleted alias",
                  )
                : `API ${scope.apiId}`;
            return (
              <tr key={x.id} className={state === "active" ? "" : "dim"} data-testid={`token-row-${x.id}`}>
                <td>{x.label || <span className="muted">—</span>}</td>
                <td>{target}</td>
                <td className="mono">{x.hint}</td>
                <td>
                  <Badge tone={state === "active" ? "ok" : "bad"} testId={`token-state-${x.id}`}>
                    {state}
                  </Badge>
                </td>
                <td>
                  <Badge tone={x.remote ? "info" : "ok"} testId={`token-reach-${x.id}`}>
                    {x.remote ? "other machines too" : "this machine"}
                  </Badge>
                </td>
                <td>{formatWhen(x.createdAt, now)}</td>
                <td>{formatWhen(x.expiresAt, now)}</td>
                <td>{x.rateLimitPerMinute === null ? "—" : `${x.rateLimitPerMinute}/min`}</td>
                <td data-testid={`token-calls-${x.id}`}>
                  {x.usage.calls}
                  {x.usage.throttled > 0 && (
                    <span className="muted small"> (+{x.usage.throttled} refused)</span>
                  )}
                </td>
                <td data-testid={`token-last-use-${x.id}`}>{formatWhen(x.usage.lastUsedAt, now)}</td>
                <td>
                  {(() => {
                    const alias =
                      scope.kind === "alias" ? held.find((h) => h.id === scope.aliasId) : undefined;
                    const last = x.usage.lastRequestId;
                    if (!alias || last === undefined) return <span className="muted">—</span>;
                    // The alias's task: the profile's own, or another's shared with it.
                    const task =
                      me && alias.task.ownerAccountId === me.accountId
                        ? { task: alias.task.name }
                        : { task: alias.task.name, ownerAccountId: alias.task.ownerAccountId };
                    return (
                      <button
                        type="button"
                        className="link mono small"
                        data-testid={`token-last-call-${x.id}`}
                        title="Open this call in Logs, with its timeline"
                        onClick={() => {
                          logs.getState().showInvocation(last, task);
                          ui.getState().go("logs");
                        }}
                      >
                        {last.slice(0, 8)}
                      </button>
                    );
                  })()}
                </td>
                <td className="mono small" data-testid={`token-addresses-${x.id}`}>
                  {x.usage.addresses.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    x.usage.addresses.map((ip) => <div key={ip}>{ip}</div>)
                  )}
                </td>
                <RowActions>
                  {state === "active" && (
                    <DangerButton
                      testId={`token-revoke-${x.id}`}
                      run={() => tokens.getState().revoke(x.id)}
                      done="Token revoked"
                    >
                      Revoke
                    </DangerButton>
                  )}
                </RowActions>
              </tr>
            );
          })}
      </RecordList>
    </section>
  );
}
