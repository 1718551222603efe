// CloudFormation's intrinsic functions, resolved as far as a local run can: parameters (their defaults, or the
// overrides given), pseudo parameters, mappings, conditions, Sub, Join, Select, Split, If and Base64. A reference to
// something that only exists once deployed (a resource's Ref or attribute, an import) cannot be resolved here: it is
// reported, and the value it was part of is left out.

/** What cannot be resolved, with the intrinsic that asked for it. */
export class Unresolvable extends Error {}

export interface IntrinsicContext {
  /** Parameter values: overrides, else defaults. */
  parameters: Record<string, string>;
  /** AWS::Region, AWS::AccountId, AWS::StackName, … */
  pseudo: Record<string, string>;
  mappings: Record<string, Record<string, Record<string, unknown>>>;
  conditions: Record<string, unknown>;
}

/** Marks a value that `AWS::NoValue` removes from its mapping or list. */
export const NO_VALUE = Symbol("AWS::NoValue");

function str(value: unknown, what: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new Unresolvable(`${what} must resolve to a string`);
}

function list(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new Unresolvable(`${what} takes a list`);
}

function refOf(name: string, ctx: IntrinsicContext): string | typeof NO_VALUE {
  if (name === "AWS::NoValue") return NO_VALUE;
  if (Object.hasOwn(ctx.parameters, name)) return ctx.parameters[name]!;
  if (Object.hasOwn(ctx.pseudo, name)) return ctx.pseudo[name]!;
  throw new Unresolvable(`!Ref ${name} names a resource that exists only once deployed`);
}

function condition(name: string, ctx: IntrinsicContext, seen: Set<string>): boolean {
  if (!Object.hasOwn(ctx.conditions, name)) throw new Unresolvable(`no condition "${name}" in Conditions`);
  if (seen.has(name)) throw new Unresolvable(`condition "${name}" refers to itself`);
  const v = resolve(ctx.conditions[name], ctx, new Set([...seen, name]));
  if (typeof v !== "boolean") throw new Unresolvable(`condition "${name}" is not true or false`);
  return v;
}

function sub(template: string, vars: Record<string, unknown>, ctx: IntrinsicContext): string {
  return template.replace(/\$\{(!?)([^}]*)\}/g, (whole, bang: string, name: string) => {
    if (bang) return `\${${name}}`;
    const key = name.trim();
    if (Object.hasOwn(vars, key)) return str(vars[key], `\${${key}}`);
    if (key.includes("."))
      throw new Unresolvable(`!Sub \${${key}} is a resource's attribute, known only once deployed`);
    const v = refOf(key, ctx);
    if (v === NO_VALUE) throw new Unresolvable("AWS::NoValue inside !Sub");
    return v;
  });
}

/** `value` with every intrinsic resolved; throws Unresolvable for what needs a deployed stack. */
export function resolve(value: unknown, ctx: IntrinsicContext, seen: Set<string> = new Set()): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => resolve(v, ctx, seen)).filter((v) => v !== NO_VALUE);
  }
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, arg] = entries[0]!;
    switch (key) {
      case "Ref":
        return refOf(str(arg, "!Ref"), ctx);
      case "Condition":
        return condition(str(arg, "Condition"), ctx, seen);
      case "Fn::Sub": {
        if (typeof arg === "string") return sub(arg, {}, ctx);
        const [template, vars] = list(arg, "!Sub");
        const resolvedVars = resolve(vars ?? {}, ctx, seen) as Record<string, unknown>;
        return sub(str(template, "!Sub"), resolvedVars, ctx);
      }
      case "Fn::Join": {
        const [sep, items] = list(arg, "!Join");
        return list(resolve(items, ctx, seen), "!Join")
          .map((i) => str(i, "!Join"))
          .join(str(sep, "!Join"));
      }
      case "Fn::Select": {
        const [index, items] = list(arg, "!Select");
        const all = list(resolve(items, ctx, seen), "!Select");
        const i = Number(resolve(index, ctx, seen));
        if (!Number.isInteger(i) || i < 0 || i >= all.length)
          throw new Unresolvable("!Select index out of range");
        return all[i];
      }
      case "Fn::Split": {
        const [sep, text] = list(arg, "!Split");
        return str(resolve(text, ctx, seen), "!Split").split(str(sep, "!Split"));
      }
      case "Fn::Base64":
        return Buffer.from(str(resolve(arg, ctx, seen), "!Base64"), "utf8").toString("base64");
      case "Fn::FindInMap": {
        const [map, top, second] = list(resolve(arg, ctx, seen), "!FindInMap").map((x) =>
          str(x, "!FindInMap"),
        );
        const found = ctx.mappings[map!]?.[top!]?.[second!];
        if (found === undefined)
          throw new Unresolvable(`!FindInMap [${map}, ${top}, ${second}] is not in Mappings`);
        return resolve(found, ctx, seen);
      }
      case "Fn::If": {
        const [name, yes, no] = list(arg, "!If");
        return resolve(condition(str(name, "!If"), ctx, seen) ? yes : no, ctx, seen);
      }
      case "Fn::Equals": {
        const [a, b] = list(arg, "!Equals").map((x) => resolve(x, ctx, seen));
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case "Fn::Not":
        return !resolve(list(arg, "!Not")[0], ctx, seen);
      case "Fn::And":
        return list(arg, "!And").every((x) => resolve(x, ctx, seen) === true);
      case "Fn::Or":
        return list(arg, "!Or").some((x) => resolve(x, ctx, seen) === true);
      case "Fn::GetAtt":
        throw new Unresolvable(
          `!GetAtt ${Array.isArray(arg) ? arg.join(".") : String(arg)} is a resource's attribute, known only once deployed`,
        );
      case "Fn::ImportValue":
        throw new Unresolvable("!ImportValue reads another stack's output, which a local run does not have");
      case "Fn::GetAZs":
      case "Fn::Cidr":
      case "Fn::Transform":
      case "Fn::ToJsonString":
      case "Fn::Length":
        throw new Unresolvable(`${key} is not resolved by Hearth`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    const r = resolve(v, ctx, seen);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}
