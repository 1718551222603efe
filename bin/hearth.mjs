#!/usr/bin/env node
// The `hearth` command: loads the TypeScript sources through tsx, then hands over to main/cli.ts.
import { register } from "tsx/esm/api";

register();
await import("../main/cli.ts");
