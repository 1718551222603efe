// Every store of the window, built over one transport; tests build the same with a fake one.
import type { Transport } from "../transport.ts";
import { createAliasesStore } from "./aliases-store.ts";
import { createApisStore } from "./apis-store.ts";
import { createFunctionSettingsStore } from "./function-settings-store.ts";
import { createGrantsStore } from "./grants-store.ts";
import { createSchedulesStore } from "./schedules-store.ts";
import { createInvokeStore } from "./invoke-store.ts";
import { createLogsStore } from "./logs-store.ts";
import { createMonitorStore } from "./monitor-store.ts";
import { createPoolHistoryStore } from "./pool-history-store.ts";
import { createPoolStore } from "./pool-store.ts";
import { createProjectsStore } from "./projects-store.ts";
import { createRemotesStore } from "./remotes-store.ts";
import { createSessionStore, type ProfileMemory } from "./session-store.ts";
import { createShareStore } from "./share-store.ts";
import { createTasksStore } from "./tasks-store.ts";
import { createTelemetryStore } from "./telemetry-store.ts";
import { createTestEventsStore } from "./test-events-store.ts";
import { createTokensStore } from "./tokens-store.ts";
import { createUiStore, type UiMemory, type View } from "./ui-store.ts";

export function createAppStores(transport: Transport, memory: ProfileMemory & UiMemory, initialView?: View) {
  const stores = {
    transport,
    session: createSessionStore(transport, memory),
    ui: createUiStore(memory, initialView),
    tasks: createTasksStore(transport.api),
    aliases: createAliasesStore(transport.api),
    grants: createGrantsStore(transport.api),
    tokens: createTokensStore(transport.api),
    apis: createApisStore(transport.api, transport.tryRoute?.bind(transport)),
    pool: createPoolStore(transport.api, transport.ownerWide),
    poolHistory: createPoolHistoryStore(transport.api, transport.ownerWide),
    invoke: createInvokeStore(transport.api),
    logs: createLogsStore(transport.api),
    monitor: createMonitorStore(transport.api),
    telemetry: createTelemetryStore(transport.api),
    functionSettings: createFunctionSettingsStore(transport.api),
    schedules: createSchedulesStore(transport.api),
    testEvents: createTestEventsStore(transport.api),
    remotes: createRemotesStore(transport.api),
    projects: createProjectsStore(transport.api),
  };
  // A share mints a token: the tokens list shows it (and later its use) without a reload.
  const share = createShareStore(transport.api, () => void stores.tokens.getState().load());
  return {
    ...stores,
    share,
    /** After a profile switch: everything shown belonged to the other profile. */
    async reloadForProfile(): Promise<void> {
      stores.tasks.getState().reset();
      stores.aliases.getState().reset();
      stores.grants.getState().reset();
      stores.tokens.getState().reset();
      stores.apis.getState().reset();
      stores.pool.getState().reset();
      stores.poolHistory.getState().reset();
      stores.invoke.getState().reset();
      stores.logs.getState().reset();
      stores.monitor.getState().reset();
      stores.testEvents.getState().reset();
      stores.remotes.getState().reset();
      stores.projects.getState().reset();
      stores.functionSettings.setState({ byTask: {}, error: null });
      stores.schedules.getState().reset();
      share.getState().close();
      await Promise.all([
        stores.tasks.getState().load(),
        stores.aliases.getState().load(),
        stores.grants.getState().load(),
        stores.tokens.getState().load(),
        stores.apis.getState().load(),
        stores.remotes.getState().load(),
      ]);
    },
  };
}

export type AppStores = ReturnType<typeof createAppStores>;
