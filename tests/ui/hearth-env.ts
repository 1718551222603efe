// What the UI tests' global setup hands to the tests: the server's address, the owner key, the profiles it made.
export const UI_ENV = {
  url: "HEARTH_UI_URL",
  /** The link `hearth serve` printed: the address with `#key=<owner key>`. */
  link: "HEARTH_UI_LINK",
  key: "HEARTH_UI_KEY",
  data: "HEARTH_UI_DATA",
} as const;

/** Created before the tests: the first owns the tasks, the second receives a grant. */
export const PROFILES = ["alice", "bob"] as const;

export function hearthUnderTest(): { url: string; link: string; key: string; data: string } {
  const url = process.env[UI_ENV.url];
  const link = process.env[UI_ENV.link];
  const key = process.env[UI_ENV.key];
  const data = process.env[UI_ENV.data];
  if (!url || !link || !key || !data)
    throw new Error("the UI tests run through playwright.config.ts, whose global setup starts Hearth");
  return { url, link, key, data };
}
