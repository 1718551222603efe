// Secret inputs that only ever write: values are typed, sent once, and never filled back in from the host.
export interface SecretRow {
  name: string;
  value: string;
}

export function SecretRows({
  rows,
  onChange,
  testIdPrefix,
}: {
  rows: SecretRow[];
  onChange: (rows: SecretRow[]) => void;
  testIdPrefix: string;
}) {
  const update = (i: number, patch: Partial<SecretRow>) =>
    onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="secret-rows">
      {rows.map((r, i) => (
        <div className="field-row" key={i}>
          <input
            placeholder="NAME"
            aria-label="Secret name"
            className="mono"
            value={r.name}
            data-testid={`${testIdPrefix}-name-${i}`}
            onChange={(e) => update(i, { name: e.target.value })}
          />
          <input
            type="password"
            autoComplete="new-password"
            placeholder="value (never shown again)"
            aria-label="Secret value"
            value={r.value}
            data-testid={`${testIdPrefix}-value-${i}`}
            onChange={(e) => update(i, { value: e.target.value })}
          />
          <button
            className="btn small ghost"
            type="button"
            aria-label="Remove this secret"
            onClick={() => onChange(rows.filter((_, j) => j !== i))}
          >
            ✕
          </button>
        </div>
      ))}
      <button
        className="btn small"
        type="button"
        data-testid={`${testIdPrefix}-add`}
        onClick={() => onChange([...rows, { name: "", value: "" }])}
      >
        Add a secret
      </button>
    </div>
  );
}

/** The rows as a map, or the first mistake in them. */
export function secretsOf(rows: SecretRow[]): { secrets: Record<string, string>; problem: string | null } {
  const secrets: Record<string, string> = {};
  for (const r of rows) {
    const name = r.name.trim();
    if (name === "" && r.value === "") continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      return { secrets, problem: `"${name}" is not a variable name` };
    if (Object.hasOwn(secrets, name)) return { secrets, problem: `${name} is given twice` };
    secrets[name] = r.value;
  }
  return { secrets, problem: null };
}
