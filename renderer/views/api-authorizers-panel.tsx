// An API's authorizers (JWT: a token checked against an issuer's keys; REQUEST: a task decides), adding and removing
// them, and attaching one to a route with the scopes a JWT must hold.
import { useState } from "react";
import type { ApiAuthorizerView, ApiView } from "../../main/contract.ts";
import { ButtonRow, Field, Form, SubmitButton } from "../components/form.tsx";
import { DangerButton, RecordTable, RowActions } from "../components/list.tsx";
import { Badge } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import type { ReadableError } from "../logic/errors.ts";
import type { RouteTarget } from "../stores/apis-store.ts";

export interface AuthorizerTarget {
  key: string;
  label: string;
  target: RouteTarget;
}

/** Where API Gateway reads a JWT unless told; a token API's Authorization header carries its Hearth token instead. */
const JWT_HEADER = "$request.header.Authorization";
const TOKEN_API_JWT_HEADER = "$request.header.X-Jwt";

const targetText = (t: RouteTarget) =>
  `${t.ownerAccountId ? `${t.ownerAccountId}/` : ""}${t.task}${t.qualifier ? `:${t.qualifier}` : ""}`;

/** What an authorizer checks against, in a few words. */
export function authorizerChecks(a: ApiAuthorizerView): string {
  if (a.type === "JWT")
    return `issuer ${a.jwt?.issuer ?? "?"}, audience ${a.jwt?.audience.join(", ") ?? "?"}, keys ${a.jwt?.jwksUri ?? a.jwt?.jwksFile ?? "from the issuer's OpenID configuration"}`;
  return `task ${a.target ? targetText(a.target) : "?"}${a.enableSimpleResponses ? ", simple responses" : ", IAM policy"}`;
}

/** The authorizer of a route, by name, with its scopes: what the APIs table shows beside the route. */
export function routeAuthorizerText(api: ApiView, r: ApiView["routes"][number]): string | null {
  if (r.authorizerId === undefined) return null;
  const name = api.authorizers.find((a) => a.id === r.authorizerId)?.name ?? r.authorizerId;
  return r.authorizationScopes?.length ? `${name} (${r.authorizationScopes.join(" ")})` : name;
}

/** A comma- or space-separated list, as typed. */
const words = (text: string) => text.split(/[\s,]+/).filter((w) => w !== "");

export function ApiAuthorizersPanel({ api, targets }: { api: ApiView; targets: AuthorizerTarget[] }) {
  const { apis } = useStores();
  const kept = () => api.authorizers.map((a) => ({ ...a }));
  return (
    <div className="panel" data-testid="api-authorizers">
      <h3>Authorizers of {api.name}</h3>
      <p className="muted small">
        A route with an authorizer runs its task only for the requests the authorizer lets through, as on API
        Gateway: a JWT authorizer checks a token&apos;s signature against the issuer&apos;s keys, its issuer,
        audience, expiry and the route&apos;s scopes; a REQUEST authorizer asks a task.
      </p>
      {api.authorizers.length === 0 ? (
        <p className="muted" data-testid="no-authorizers">
          No authorizers: every route answers whoever{" "}
          {api.access === "token" ? "holds an API token" : "calls it"}.
        </p>
      ) : (
        <RecordTable
          testId="authorizers-table"
          className="compact"
          columns={["Name", "Type", "Checks", "Identity", "Cache", "Routes", ""]}
        >
          {api.authorizers.map((a) => {
            const used = api.routes.filter((r) => r.authorizerId === a.id);
            return (
              <tr key={a.id} data-testid={`authorizer-row-${a.name}`}>
                <td>
                  <strong>{a.name}</strong>
                </td>
                <td>
                  <Badge tone="info">{a.type}</Badge>
                </td>
                <td className="small">{authorizerChecks(a)}</td>
                <td className="mono small">{a.identitySource.join(", ") || "—"}</td>
                <td className="small">
                  {a.type === "REQUEST"
                    ? a.resultTtlSeconds
                      ? `${a.resultTtlSeconds} s`
                      : "off"
                    : "keys 5 min"}
                </td>
                <td className="small" data-testid={`authorizer-routes-${a.name}`}>
                  {used.map((r) => r.routeKey).join(", ") || "none"}
                </td>
                <RowActions>
                  {used.length === 0 && (
                    <DangerButton
                      testId={`authorizer-remove-${a.name}`}
                      confirm={`Remove authorizer ${a.name}?`}
                      run={() =>
                        apis.getState().update(api.id, { authorizers: kept().filter((x) => x.id !== a.id) })
                      }
                      done={`Removed authorizer ${a.name}`}
                    >
                      Remove
                    </DangerButton>
                  )}
                </RowActions>
              </tr>
            );
          })}
        </RecordTable>
      )}
      <AddAuthorizerForm api={api} targets={targets} />
      {api.authorizers.length > 0 && api.routes.length > 0 && <AttachForm api={api} />}
    </div>
  );
}

function AddAuthorizerForm({ api, targets }: { api: ApiView; targets: AuthorizerTarget[] }) {
  const { apis, ui } = useStores();
  const [name, setName] = useState("");
  const [type, setType] = useState<"JWT" | "REQUEST">("JWT");
  const [issuer, setIssuer] = useState("");
  const [audience, setAudience] = useState("");
  const [keysFrom, setKeysFrom] = useState<"uri" | "file" | "issuer">("uri");
  const [keys, setKeys] = useState("");
  const [identity, setIdentity] = useState("");
  const [target, setTarget] = useState("");
  const [simple, setSimple] = useState(true);
  const [ttl, setTtl] = useState("300");
  const [error, setError] = useState<ReadableError | null>(null);
  const jwtDefault = api.access === "token" ? TOKEN_API_JWT_HEADER : JWT_HEADER;
  const identityShown = identity || (type === "JWT" ? jwtDefault : "$request.header.X-Api-Key");
  return (
    <Form
      className="form"
      testId="authorizer-form"
      title="Add an authorizer"
      error={error}
      errorTestId="authorizer-error"
      onSubmit={async () => {
        const sources = words(identityShown);
        const added =
          type === "JWT"
            ? {
                name: name.trim(),
                type,
                identitySource: sources,
                jwt: {
                  issuer: issuer.trim(),
                  audience: words(audience),
                  ...(keysFrom === "uri" ? { jwksUri: keys.trim() } : {}),
                  ...(keysFrom === "file" ? { jwksFile: keys.trim() } : {}),
                },
              }
            : {
                name: name.trim(),
                type,
                identitySource: sources,
                target: (targets.find((t) => t.key === target) ?? targets[0])?.target ?? { task: "" },
                enableSimpleResponses: simple,
                resultTtlSeconds: Number(ttl),
              };
        const err = await apis.getState().update(api.id, {
          authorizers: [...api.authorizers.map((a) => ({ ...a })), added],
        });
        setError(err);
        if (!err) {
          ui.getState().toast("ok", `Authorizer ${name.trim()} added to ${api.name}`);
          setName("");
          setIssuer("");
          setAudience("");
          setKeys("");
          setIdentity("");
        }
      }}
    >
      <div className="field-row">
        <Field label="Name">
          <input
            value={name}
            placeholder="cognito"
            data-testid="authorizer-name"
            onChange={(e) => setName(e.target.value)}
          />
        </Field>
        <Field label="Type">
          <select
            value={type}
            data-testid="authorizer-type"
            onChange={(e) => setType(e.target.value as "JWT" | "REQUEST")}
          >
            <option value="JWT">JWT: a token checked against an issuer&apos;s keys</option>
            <option value="REQUEST">REQUEST: a task decides (Lambda authorizer)</option>
          </select>
        </Field>
        <Field label="Identity source" hint="$request.header.NAME or $request.querystring.NAME">
          <input
            className="mono"
            value={identityShown}
            data-testid="authorizer-identity"
            onChange={(e) => setIdentity(e.target.value)}
          />
        </Field>
      </div>
      {type === "JWT" ? (
        <div className="field-row">
          <Field label="Issuer" hint="the iss tokens carry">
            <input
              value={issuer}
              placeholder="https://issuer.example"
              data-testid="authorizer-issuer"
              onChange={(e) => setIssuer(e.target.value)}
            />
          </Field>
          <Field label="Audience" hint="comma-separated">
            <input
              value={audience}
              placeholder="my-client-id"
              data-testid="authorizer-audience"
              onChange={(e) => setAudience(e.target.value)}
            />
          </Field>
          <Field label="Keys">
            <select
              value={keysFrom}
              data-testid="authorizer-keys-from"
              onChange={(e) => setKeysFrom(e.target.value as "uri" | "file" | "issuer")}
            >
              <option value="uri">JWKS URL</option>
              <option value="file">JWKS file on this machine</option>
              <option value="issuer">the issuer&apos;s OpenID configuration</option>
            </select>
          </Field>
          {keysFrom !== "issuer" && (
            <Field label={keysFrom === "uri" ? "JWKS URL" : "JWKS file"}>
              <input
                className="mono"
                value={keys}
                placeholder={
                  keysFrom === "uri"
                    ? "https://issuer.example/.well-known/jwks.json"
                    : "/etc/hearth/jwks.json"
                }
                data-testid="authorizer-keys"
                onChange={(e) => setKeys(e.target.value)}
              />
            </Field>
          )}
        </div>
      ) : (
        <div className="field-row">
          <Field label="Task">
            <select
              value={target || targets[0]?.key || ""}
              data-testid="authorizer-target"
              onChange={(e) => setTarget(e.target.value)}
            >
              {targets.map((t) => (
                <option key={t.key} value={t.key}>
                  {t.label}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Cache answers for" hint="seconds, 0-3600; 0 asks every time">
            <input
              type="number"
              min={0}
              max={3600}
              value={ttl}
              data-testid="authorizer-ttl"
              onChange={(e) => setTtl(e.target.value)}
            />
          </Field>
          <label className="check">
            <input
              type="checkbox"
              checked={simple}
              data-testid="authorizer-simple"
              onChange={(e) => setSimple(e.target.checked)}
            />
            Simple responses ({"{isAuthorized, context}"}) rather than an IAM policy
          </label>
        </div>
      )}
      <ButtonRow>
        <SubmitButton testId="authorizer-add">Add authorizer</SubmitButton>
      </ButtonRow>
    </Form>
  );
}

function AttachForm({ api }: { api: ApiView }) {
  const { apis, ui } = useStores();
  const [routeKey, setRouteKey] = useState(api.routes[0]!.routeKey);
  const route = api.routes.find((r) => r.routeKey === routeKey) ?? api.routes[0]!;
  const [authorizerId, setAuthorizerId] = useState(route.authorizerId ?? "");
  const [scopes, setScopes] = useState((route.authorizationScopes ?? []).join(" "));
  const [error, setError] = useState<ReadableError | null>(null);
  const chosen = api.authorizers.find((a) => a.id === authorizerId);
  return (
    <Form
      className="row-form"
      testId="attach-form"
      error={error}
      errorTestId="attach-error"
      onSubmit={async () => {
        const scopeList = chosen?.type === "JWT" ? words(scopes) : [];
        const routes = api.routes.map((r) => {
          if (r.routeKey !== route.routeKey) return r;
          const { authorizerId: _a, authorizationScopes: _s, ...rest } = r;
          return {
            ...rest,
            ...(chosen ? { authorizerId: chosen.id } : {}),
            ...(scopeList.length > 0 ? { authorizationScopes: scopeList } : {}),
          };
        });
        const err = await apis.getState().update(api.id, { routes });
        setError(err);
        if (!err)
          ui.getState().toast(
            "ok",
            chosen ? `${route.routeKey} is checked by ${chosen.name}` : `${route.routeKey} has no authorizer`,
          );
      }}
    >
      <label>
        Route
        <select
          value={route.routeKey}
          data-testid="attach-route"
          onChange={(e) => {
            const next = api.routes.find((r) => r.routeKey === e.target.value);
            setRouteKey(e.target.value);
            setAuthorizerId(next?.authorizerId ?? "");
            setScopes((next?.authorizationScopes ?? []).join(" "));
          }}
        >
          {api.routes.map((r) => (
            <option key={r.routeKey}>{r.routeKey}</option>
          ))}
        </select>
      </label>
      <label>
        Authorizer
        <select
          value={authorizerId}
          data-testid="attach-authorizer"
          onChange={(e) => setAuthorizerId(e.target.value)}
        >
          <option value="">none</option>
          {api.authorizers.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name} ({a.type})
            </option>
          ))}
        </select>
      </label>
      {chosen?.type === "JWT" && (
        <label>
          Scopes <span className="muted">one of, space-separated</span>
          <input
            className="mono"
            value={scopes}
            placeholder="orders:read"
            data-testid="attach-scopes"
            onChange={(e) => setScopes(e.target.value)}
          />
        </label>
      )}
      <SubmitButton testId="attach-save">Save route</SubmitButton>
    </Form>
  );
}
