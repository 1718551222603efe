// Turns zod's verdict on an input into one INVALID_INPUT HearthError that names the field and says what is allowed.
import type { z } from "zod";
import { HearthError } from "./errors.ts";

type Issue = z.core.$ZodIssue;

function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join(".");
}

function describe(issue: Issue, field: string): string {
  const subject = field === "" ? "input" : field;
  switch (issue.code) {
    case "invalid_type":
      return issue.message.includes("received undefined")
        ? `${subject} is required`
        : `${subject} must be ${article(issue.expected)}`;
    case "unrecognized_keys":
      return `unknown field "${field === "" ? "" : `${field}.`}${issue.keys[0] ?? ""}"`;
    default:
      // Messages written in the schemas read as predicates ("must be between 128 and 10240").
      return `${subject} ${issue.message}`;
  }
}

function article(expected: string): string {
  if (expected === "object") return "an object";
  if (expected === "array") return "a list";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** Parses `input`; on failure throws INVALID_INPUT for the first issue, with its field path. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0] as Issue;
  const base = fieldOf(issue.path);
  const field =
    issue.code === "unrecognized_keys" ? [base, issue.keys[0] ?? ""].filter((s) => s !== "").join(".") : base;
  throw new HearthError("INVALID_INPUT", describe(issue, base), field === "" ? undefined : field);
}
