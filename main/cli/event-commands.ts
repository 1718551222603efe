// `hearth event ls` and `hearth event generate SOURCE [--set key=value ...]`: sample events in the shapes AWS
// services send to a function, printed as JSON to invoke with (`hearth invoke TASK --payload-file -`).
import type { Command } from "commander";
import { SampleEventError, sampleEvent, sampleSources } from "../domain/events/sample-events.ts";
import { collectKeyValue } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { json, out, print, table } from "./output.ts";

export function registerEventCommands(program: Command): void {
  const event = program
    .command("event")
    .description("sample events in the shapes AWS services send (API Gateway, SQS, SNS, S3, ...)");

  withJson(event.command("ls").description("the event sources, and the fields each lets you set")).action(
    (_o: unknown, cmd: Command) => {
      const o = optionsOf<object>(cmd);
      const sources = sampleSources();
      print(o.json, sources, () =>
        table(
          ["SOURCE", "WHAT", "FIELDS (--set)"],
          sources.map((s) => [s.source, s.about, s.fields.map((f) => f.name).join(", ")]),
        ),
      );
    },
  );

  event
    .command("generate <source>")
    .description("print a sample event of SOURCE as JSON (see `hearth event ls`)")
    .option(
      "--set <key=value>",
      "set one of the source's fields (repeatable), e.g. --set method=POST --set path=/orders",
      collectKeyValue,
      {},
    )
    .addHelpText(
      "after",
      "\nExample:\n  hearth event generate apigateway-http --set method=POST --set body='{\"a\":1}' | hearth invoke my-task --payload-file -",
    )
    .action((source: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<{ set: Record<string, string> }>(cmd);
      let value: unknown;
      try {
        value = sampleEvent(source, o.set);
      } catch (err) {
        if (err instanceof SampleEventError) {
          throw new CliError(err.code, err.message, EXIT.usage, { field: err.field });
        }
        throw err;
      }
      out(json(value));
    });
}
