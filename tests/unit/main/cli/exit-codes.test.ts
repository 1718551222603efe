// What each failure ends the command with, and how it reads on stderr.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CommanderError, InvalidArgumentError } from "commander";
import { HearthApiError } from "../../../../main/client/http-client.ts";
import { formatError } from "../../../../main/cli/error-report.ts";
import {
  CliError,
  EXIT,
  EXIT_CODES_HELP,
  exitCodeFor,
  exitCodeForErrorCode,
  exitCodeForStatus,
  usageError,
} from "../../../../main/cli/exit-codes.ts";
import { HearthError } from "../../../../main/domain/model/errors.ts";

test("an API error's status decides: 4xx refused (1), 5xx Hearth failed (5)", () => {
  for (const status of [400, 401, 403, 404, 409, 413, 422, 429]) {
    assert.equal(exitCodeFor(new HearthApiError(status, "X", "x")), EXIT.refused, String(status));
  }
  for (const status of [500, 502, 503, 504]) {
    assert.equal(exitCodeFor(new HearthApiError(status, "X", "x")), EXIT.hearthFailed, String(status));
  }
  assert.equal(exitCodeForStatus(404), 1);
  assert.equal(exitCodeForStatus(503), 5);
});

test("the CLI's own errors carry their exit code; commander's usage errors exit 2, help 0", () => {
  assert.equal(exitCodeFor(new CliError("HEARTH_UNREACHABLE", "no Hearth", EXIT.unreachable)), 4);
  assert.equal(exitCodeFor(new CliError("TASK_FAILED", "Error: boom", EXIT.taskFailed)), 3);
  assert.equal(exitCodeFor(usageError("nothing to change")), 2);
  assert.equal(exitCodeFor(new CommanderError(1, "commander.unknownOption", "error: unknown option")), 2);
  assert.equal(exitCodeFor(new InvalidArgumentError("bad")), 2);
  assert.equal(exitCodeFor(new CommanderError(0, "commander.helpDisplayed", "(outputHelp)")), 0);
});

test("errors raised by the store (the CLI working on the data directory) map through the same table", () => {
  assert.equal(exitCodeFor(new HearthError("PROFILE_EXISTS", "exists")), EXIT.refused);
  assert.equal(exitCodeFor(new HearthError("STORE_CORRUPT", "bad")), EXIT.hearthFailed);
  assert.equal(exitCodeFor(new Error("IMAGE_NOT_BUILT: build it")), EXIT.refused, "a code the table lacks");
  assert.equal(exitCodeFor(new Error("something broke")), EXIT.refused);
  assert.equal(exitCodeForErrorCode("TASK_NOT_FOUND"), 1);
  assert.equal(exitCodeForErrorCode("NO_VM_AVAILABLE"), 5);
});

test("errors read `hearth: CODE: message (field: x)` with a hint where one helps", () => {
  assert.equal(
    formatError(new HearthApiError(404, "TASK_NOT_FOUND", 'no task "nope"', "task")),
    'hearth: TASK_NOT_FOUND: no task "nope" (field: task)\nhint: list your tasks with `hearth task ls`, or import one with `hearth import <folder>`\n',
  );
  assert.equal(
    formatError(new HearthError("INVALID_INPUT", "memoryMb must be a number", "memoryMb")),
    "hearth: INVALID_INPUT: memoryMb must be a number (field: memoryMb)\n",
  );
  assert.equal(
    formatError(new CliError("PROFILE_REQUIRED", "name the profile", EXIT.usage, { hint: "try --profile" })),
    "hearth: PROFILE_REQUIRED: name the profile\nhint: try --profile\n",
  );
  assert.match(
    formatError(new HearthApiError(401, "TOKEN_INVALID", "the token is not valid")) ?? "",
    /token mint/,
  );
  assert.equal(formatError(new Error("plain")), "hearth: plain\n");
  assert.equal(
    formatError(new CommanderError(1, "commander.unknownOption", "x")),
    null,
    "commander printed it",
  );
});

test("--help lists every exit code", () => {
  for (const code of Object.values(EXIT)) assert.match(EXIT_CODES_HELP, new RegExp(`^  ${code}  `, "m"));
});
