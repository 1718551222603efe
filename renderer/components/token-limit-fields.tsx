// The two choices every new token offers: how long it lives and how many calls a minute it allows.
import type { ReadableError } from "../logic/errors.ts";

export const TOKEN_EXPIRIES: { label: string; seconds: number | null }[] = [
  { label: "never", seconds: null },
  { label: "1 hour", seconds: 3600 },
  { label: "1 day", seconds: 86_400 },
  { label: "7 days", seconds: 7 * 86_400 },
  { label: "30 days", seconds: 30 * 86_400 },
];

/** The index of an expiry by its label, for a form's default. */
export function expiryIndex(label: string): number {
  return Math.max(
    0,
    TOKEN_EXPIRIES.findIndex((x) => x.label === label),
  );
}

export function TokenLimitFields({
  testIdPrefix,
  expiry,
  onExpiry,
  rate,
  onRate,
  error,
  expiryLabel = "Expires",
}: {
  testIdPrefix: string;
  expiry: number;
  onExpiry: (index: number) => void;
  rate: string;
  onRate: (text: string) => void;
  error?: ReadableError | null;
  expiryLabel?: string;
}) {
  return (
    <>
      <label>
        {expiryLabel}
        <select
          value={expiry}
          data-testid={`${testIdPrefix}-expiry`}
          onChange={(e) => onExpiry(Number(e.target.value))}
        >
          {TOKEN_EXPIRIES.map((x, i) => (
            <option key={x.label} value={i}>
              {x.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Calls per minute
        <input
          value={rate}
          inputMode="numeric"
          placeholder="no limit"
          data-testid={`${testIdPrefix}-rate`}
          aria-invalid={error?.field === "rateLimitPerMinute"}
          onChange={(e) => onRate(e.target.value)}
        />
      </label>
    </>
  );
}
