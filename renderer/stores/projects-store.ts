// The projects the acting profile has open in the host (AWS SAM, Serverless, task.json folders), as `hearth dev`
// runs them: their functions, routes, last reload and its errors, followed while the view is open.
import { createStore } from "zustand/vanilla";
import type { HearthApi, ProjectStatus } from "../../main/contract.ts";
import type { ReadableError } from "../logic/errors.ts";
import { attempt, collectionLoader, emptyCollection, type Collection } from "./collection.ts";

export interface OpenProjectInput {
  dir: string;
  apiName?: string;
  stage?: string;
  access: "public" | "token";
}

export interface ProjectsState extends Collection<ProjectStatus> {
  opening: boolean;
  load(): Promise<void>;
  open(input: OpenProjectInput): Promise<ReadableError | null>;
  close(id: string): Promise<ReadableError | null>;
  reset(): void;
}

export function createProjectsStore(api: Pick<HearthApi, "call">) {
  return createStore<ProjectsState>()((set) => {
    const load = collectionLoader<ProjectStatus>(set);
    return {
      ...emptyCollection<ProjectStatus>(),
      opening: false,
      load: () => load(() => api.call("listProjects", {})),
      async open(input) {
        const dir = input.dir.trim();
        if (dir === "") return { code: "INVALID_INPUT", message: "name the project's folder", field: "dir" };
        set({ opening: true });
        const r = await attempt(() =>
          api.call("openProject", {
            dir,
            access: input.access,
            ...(input.apiName?.trim() ? { apiName: input.apiName.trim() } : {}),
            ...(input.stage?.trim() ? { stage: input.stage.trim() } : {}),
          }),
        );
        set({ opening: false });
        if (!r.ok) return r.error;
        load.invalidate();
        set((s) => ({
          items: [...s.items.filter((p) => p.id !== r.value.id && p.dir !== r.value.dir), r.value],
        }));
        return null;
      },
      async close(id) {
        const r = await attempt(() => api.call("closeProject", { projectId: id }));
        if (!r.ok) return r.error;
        load.invalidate();
        set((s) => ({ items: s.items.filter((p) => p.id !== id) }));
        return null;
      },
      reset: () => {
        load.invalidate();
        set({ ...emptyCollection<ProjectStatus>(), opening: false });
      },
    };
  });
}
