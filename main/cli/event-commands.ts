// `hearth event ls` and `hearth event generate SOURCE [--set key=value ...]`: sample events in the shapes AWS
// services send to a function, printed as JSON to invoke with (`hearth invoke TASK --payload-file -`). And a
// task's saved test events: `hearth event save|saved|show|rename|rm`, invoked with `hearth invoke TASK --event NAME`.
import type { Command } from "commander";
import { SampleEventError, sampleEvent, sampleSources } from "../domain/events/sample-events.ts";
import { collectKeyValue, parseAccountId } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect } from "./connection.ts";
import { CliError, EXIT, usageError } from "./exit-codes.ts";
import { readPayload } from "./invoke-commands.ts";
import { findTestEvent, taskRef } from "./saved-events.ts";
import { formatBytes, formatWhen, json, out, print, table } from "./output.ts";

/** A sample event of `source`, a bad source or field being a usage error naming it. */
function sample(source: string, set: Record<string, string>): unknown {
  try {
    return sampleEvent(source, set);
  } catch (err) {
    if (err instanceof SampleEventError) {
      throw new CliError(err.code, err.message, EXIT.usage, { field: err.field });
    }
    throw err;
  }
}

const ownerOption = ["--owner <account>", "the task's account, for a task shared with you"] as const;

export function registerEventCommands(program: Command): void {
  const event = program
    .command("event")
    .description(
      "sample events in the shapes AWS services send (API Gateway, SQS, SNS, S3, ...), and test events saved per task",
    );

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
      out(json(sample(source, o.set)));
    });

  withJson(
    event
      .command("save <task> <name>")
      .description("save a test event for a task under a name (replacing one saved there)")
      .option("--payload <json>", "the event, as JSON ('-' reads it from stdin)")
      .option("--payload-file <file>", "read the event from a file ('-' for stdin)")
      .option("--sample <source>", "a sample event of SOURCE (see `hearth event ls`), with --set")
      .option("--set <key=value>", "a field of the --sample event (repeatable)", collectKeyValue, {})
      .option(...ownerOption, parseAccountId)
      .addHelpText(
        "after",
        "\nExamples:\n  hearth event save resize big-upload --payload-file event.json\n" +
          "  hearth event save api get-order --sample apigateway-http --set path=/orders/7\n" +
          "  hearth invoke resize --event big-upload",
      ),
  ).action(async (task: string, name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{
      payload?: string;
      payloadFile?: string;
      sample?: string;
      set: Record<string, string>;
      owner?: string;
    }>(cmd);
    const given = [o.payload, o.payloadFile, o.sample].filter((x) => x !== undefined).length;
    if (given !== 1) throw usageError("give the event with one of --payload, --payload-file or --sample");
    if (o.sample === undefined && Object.keys(o.set).length > 0) throw usageError("--set goes with --sample");
    const payload = o.sample !== undefined ? json(sample(o.sample, o.set)) : await readPayload(o);
    const conn = await connect(o, "profile");
    const saved = await conn.call("saveTestEvent", { ...taskRef(task, o.owner), event: name, payload });
    print(
      o.json,
      saved,
      () => `saved event "${saved.name}" for ${task} (${formatBytes(Buffer.byteLength(saved.payload))})`,
    );
  });

  withJson(
    event
      .command("saved <task>")
      .description("list the test events you saved for a task")
      .option(...ownerOption, parseAccountId),
  ).action(async (task: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{ owner?: string }>(cmd);
    const conn = await connect(o, "profile");
    const all = await conn.call("listTestEvents", taskRef(task, o.owner));
    const now = Date.now();
    print(o.json, all, () =>
      all.length === 0
        ? `no saved events for ${task} (save one: hearth event save ${task} NAME --payload '{...}')`
        : table(
            ["NAME", "SIZE", "UPDATED"],
            all.map((e) => [e.name, formatBytes(Buffer.byteLength(e.payload)), formatWhen(e.updatedAt, now)]),
          ),
    );
  });

  event
    .command("show <task> <name>")
    .description("print a saved test event's payload as it was saved")
    .option(...ownerOption, parseAccountId)
    .action(async (task: string, name: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<{ owner?: string }>(cmd);
      const conn = await connect(o, "profile");
      out((await findTestEvent(conn, task, name, o.owner)).payload);
    });

  withJson(
    event
      .command("rename <task> <name> <new-name>")
      .description("rename a saved test event")
      .option(...ownerOption, parseAccountId),
  ).action(async (task: string, name: string, newName: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{ owner?: string }>(cmd);
    const conn = await connect(o, "profile");
    const r = await conn.call("renameTestEvent", { ...taskRef(task, o.owner), event: name, newName });
    print(o.json, r, () => `renamed event "${name}" of ${task} to "${r.name}"`);
  });

  withJson(
    event
      .command("rm <task> <name>")
      .description("delete a saved test event")
      .option(...ownerOption, parseAccountId),
  ).action(async (task: string, name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{ owner?: string }>(cmd);
    const conn = await connect(o, "profile");
    const r = await conn.call("deleteTestEvent", { ...taskRef(task, o.owner), event: name });
    print(o.json, r, () => `deleted event "${r.deleted}" of ${task}`);
  });
}
