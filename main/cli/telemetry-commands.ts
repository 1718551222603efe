// `hearth telemetry`: where invocation traces go (an OpenTelemetry collector over OTLP/HTTP), set and turned off.
import type { Command } from "commander";
import type { TelemetryView } from "../contract.ts";
import { collectList } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect } from "./connection.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { print } from "./output.ts";

function telemetryText(v: TelemetryView): string {
  if (v.otlpEndpoint === null) {
    return v.source === "setting"
      ? "no export: turned off (hearth telemetry set <endpoint> turns it on)"
      : "no export (hearth telemetry set <endpoint>, or OTEL_EXPORTER_OTLP_ENDPOINT when Hearth starts)";
  }
  const lines = [
    `exporting each invocation as a span to ${v.tracesUrl ?? v.otlpEndpoint} (from ${v.source === "setting" ? "the setting" : "the environment"})`,
  ];
  if (v.otlpHeaderNames.length) lines.push(`headers: ${v.otlpHeaderNames.join(", ")}`);
  if (v.figures) {
    const f = v.figures;
    lines.push(`exported ${f.exported}, dropped ${f.dropped}, failed POSTs ${f.failedBatches}`);
    if (f.lastError) lines.push(`last error: ${f.lastError}`);
  }
  return lines.join("\n");
}

function headerPairs(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of list) {
    const i = h.indexOf("=");
    if (i <= 0) {
      throw new CliError("INVALID_INPUT", `--header takes NAME=VALUE, not "${h}"`, EXIT.usage, {
        field: "--header",
      });
    }
    out[h.slice(0, i)] = h.slice(i + 1);
  }
  return out;
}

export function registerTelemetryCommands(program: Command): void {
  const telemetry = withJson(
    program
      .command("telemetry")
      .description(
        "where each invocation is exported as an OpenTelemetry span (OTLP/HTTP), and how that goes",
      ),
  ).action(async (_o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const conn = await connect(o, "owner");
    const v = await conn.call("getTelemetry", {});
    print(o.json, v, () => telemetryText(v));
  });
  withJson(
    telemetry
      .command("set <endpoint>")
      .description(
        "export each invocation as a span, its phases as child spans, to this collector (http://host:4318 gets /v1/traces)",
      )
      .option(
        "--header <NAME=VALUE>",
        "a header sent with each export, e.g. an API key (repeatable)",
        collectList,
      ),
  ).action(async (endpoint: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{ header?: string[] }>(cmd);
    const conn = await connect(o, "owner");
    const v = await conn.call("setTelemetry", {
      otlpEndpoint: endpoint,
      otlpHeaders: headerPairs(o.header ?? []),
    });
    print(o.json, v, () => telemetryText(v));
  });
  withJson(telemetry.command("off").description("stop exporting invocations")).action(
    async (_o: unknown, cmd: Command) => {
      const o = optionsOf(cmd);
      const conn = await connect(o, "owner");
      const v = await conn.call("setTelemetry", { otlpEndpoint: null });
      print(o.json, v, () => telemetryText(v));
    },
  );
}
