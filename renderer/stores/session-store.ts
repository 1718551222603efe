// Profiles and which one the window acts as; a new profile's credentials are held here until the user dismisses them.
import { createStore } from "zustand/vanilla";
import type { CreatedProfile, ProfileView } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";
import type { Transport } from "../transport.ts";

export interface SessionState {
  profiles: ProfileView[];
  loaded: boolean;
  loading: boolean;
  error: ReadableError | null;
  /** The profile every call acts as (its id). */
  activeId: string | null;
  /** The profile just created, with its secret: shown once, then dropped by dismissCreated. */
  created: CreatedProfile | null;
  creating: boolean;
  createError: ReadableError | null;
  load(): Promise<void>;
  switchTo(profileId: string): void;
  create(name: string): Promise<boolean>;
  dismissCreated(): void;
  active(): ProfileView | null;
}

/** Where the last profile used is remembered between visits. */
export interface ProfileMemory {
  get(): string | null;
  set(profileId: string): void;
}

export function createSessionStore(transport: Pick<Transport, "api" | "setProfile">, memory: ProfileMemory) {
  return createStore<SessionState>()((set, get) => {
    const activate = (profileId: string | null): void => {
      transport.setProfile(profileId);
      if (profileId) memory.set(profileId);
      set({ activeId: profileId });
    };
    return {
      profiles: [],
      loaded: false,
      loading: false,
      error: null,
      activeId: null,
      created: null,
      creating: false,
      createError: null,
      async load() {
        set({ loading: true });
        try {
          const profiles = await transport.api.call("listProfiles", {});
          set({ profiles, loaded: true, loading: false, error: null });
          const current = get().activeId;
          if (current && profiles.some((p) => p.id === current)) return;
          const remembered = memory.get();
          const pick = profiles.find((p) => p.id === remembered) ?? profiles[0] ?? null;
          activate(pick ? pick.id : null);
        } catch (err) {
          set({ loading: false, error: readableError(err) });
        }
      },
      switchTo(profileId) {
        if (!get().profiles.some((p) => p.id === profileId) || get().activeId === profileId) return;
        activate(profileId);
      },
      async create(name) {
        const trimmed = name.trim();
        if (trimmed === "") {
          set({ createError: { code: "INVALID_INPUT", message: "give the profile a name", field: "name" } });
          return false;
        }
        set({ creating: true, createError: null });
        try {
          const created = await transport.api.call("createProfile", { name: trimmed });
          set((s) => ({ profiles: [...s.profiles, created.profile], created, creating: false }));
          activate(created.profile.id);
          return true;
        } catch (err) {
          set({ creating: false, createError: readableError(err) });
          return false;
        }
      },
      dismissCreated() {
        set({ created: null });
      },
      active() {
        const { profiles, activeId } = get();
        return profiles.find((p) => p.id === activeId) ?? null;
      },
    };
  });
}

export type SessionStore = ReturnType<typeof createSessionStore>;
