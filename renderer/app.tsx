// The window's frame: header (profile switcher, search, theme), the views' navigation, the view on screen.
import { useEffect, useRef } from "react";
import { useStore } from "zustand";
import { Toasts } from "./components/toasts.tsx";
import { EmptyState, ErrorNote } from "./components/notes.tsx";
import { useStores } from "./components/stores-context.ts";
import { VIEWS, type View } from "./stores/ui-store.ts";
import { AliasesView } from "./views/aliases-view.tsx";
import { ApisView } from "./views/apis-view.tsx";
import { GrantsView } from "./views/grants-view.tsx";
import { InvokeView } from "./views/invoke-view.tsx";
import { LogsView } from "./views/logs-view.tsx";
import { MonitorView } from "./views/monitor-view.tsx";
import { ProjectsView } from "./views/projects-view.tsx";
import { SchedulesView } from "./views/schedules-view.tsx";
import { PoolView } from "./views/pool-view.tsx";
import { RemotesView } from "./views/remotes-view.tsx";
import { ShareDialog } from "./views/share-dialog.tsx";
import { CreatedCredentials, CreateProfileForm, ProfilesView } from "./views/profiles-view.tsx";
import { TasksView } from "./views/tasks-view.tsx";
import { TokensView } from "./views/tokens-view.tsx";

const LABELS: Record<View, string> = {
  tasks: "Tasks",
  invoke: "Invoke",
  logs: "Logs",
  monitor: "Monitor",
  schedules: "Schedules",
  aliases: "Aliases",
  grants: "Grants",
  tokens: "Tokens",
  remotes: "Remote aliases",
  apis: "APIs",
  projects: "Projects",
  pool: "Pool",
  profiles: "Profiles",
};

const THEME_LABEL = { system: "Theme: system", light: "Theme: light", dark: "Theme: dark" } as const;

function isEditable(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

export function App() {
  const stores = useStores();
  const { session, ui, invoke } = stores;
  const s = useStore(session);
  const view = useStore(ui, (u) => u.view);
  const query = useStore(ui, (u) => u.query);
  const theme = useStore(ui, (u) => u.theme);
  const search = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void session.getState().load();
  }, [session]);

  useEffect(() => {
    if (s.activeId) void stores.reloadForProfile();
  }, [s.activeId, stores]);

  // A hearth://share link the desktop app was opened with: shown in Remote aliases, added once the user confirms.
  useEffect(
    () =>
      stores.transport.onShareLink?.((link) => {
        stores.remotes.getState().setPending(link);
        ui.getState().go("remotes");
      }),
    [stores, ui],
  );

  useEffect(() => {
    if (theme === "system") document.documentElement.removeAttribute("data-theme");
    else document.documentElement.setAttribute("data-theme", theme);
  }, [theme]);

  useEffect(() => {
    history.replaceState(null, "", `#/${view}`);
  }, [view]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "/" && !isEditable(e.target) && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        search.current?.focus();
      } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && ui.getState().view === "invoke") {
        e.preventDefault();
        void invoke.getState().run();
      } else if (e.key === "Escape" && e.target === search.current) {
        ui.getState().setQuery("");
        search.current?.blur();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [ui, invoke]);

  const noProfiles = s.loaded && s.profiles.length === 0;
  const active = s.profiles.find((p) => p.id === s.activeId);

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true" /> Hearth
          <span className="muted small">{stores.transport.kind === "browser" ? "browser mode" : ""}</span>
        </div>
        <label className="switcher">
          <span className="muted small">Acting as</span>
          <select
            data-testid="profile-switcher"
            value={s.activeId ?? ""}
            disabled={s.profiles.length === 0}
            onChange={(e) => session.getState().switchTo(e.target.value)}
          >
            {s.profiles.length === 0 && <option value="">no profile</option>}
            {s.profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <input
          ref={search}
          className="search"
          type="search"
          placeholder="Search  /"
          aria-label="Search this view"
          data-testid="search"
          value={query}
          onChange={(e) => ui.getState().setQuery(e.target.value)}
        />
        <button
          className="btn ghost"
          type="button"
          data-testid="theme-toggle"
          title={`${THEME_LABEL[theme]} (click to change)`}
          onClick={() => ui.getState().cycleTheme()}
        >
          {theme === "system" ? "◐" : theme === "light" ? "☀" : "☾"}
          <span className="sr-only">{THEME_LABEL[theme]}</span>
        </button>
      </header>
      <nav className="sidebar" aria-label="Views">
        {VIEWS.map((v) => (
          <button
            key={v}
            type="button"
            className={v === view ? "active" : ""}
            aria-current={v === view ? "page" : undefined}
            data-testid={`nav-${v}`}
            onClick={() => ui.getState().go(v)}
          >
            {LABELS[v]}
          </button>
        ))}
        <div className="shortcuts muted small">
          <div>
            <kbd>/</kbd> search
          </div>
          <div>
            <kbd>Ctrl</kbd>+<kbd>Enter</kbd> run
          </div>
        </div>
      </nav>
      <main className="content" data-profile={active?.name ?? ""}>
        <ErrorNote error={s.error} testId="session-error" />
        {noProfiles && view !== "profiles" ? (
          <section data-testid="onboarding">
            <header className="view-head">
              <h1>Welcome to Hearth</h1>
              <p>
                Hearth runs your functions in micro-VMs on this machine. Everything belongs to a{" "}
                <em>profile</em>: create the first one to start.
              </p>
            </header>
            <CreatedCredentials />
            <EmptyState testId="empty-onboarding" title="Create your first profile">
              Name it after who or what it is for (<code>me</code>, <code>work</code>). It gets an account id,
              an access key for AWS tools, and a warm VM.
            </EmptyState>
            <CreateProfileForm autoFocus />
          </section>
        ) : (
          <ViewFor view={view} />
        )}
      </main>
      <ShareDialog />
      <Toasts />
    </div>
  );
}

function ViewFor({ view }: { view: View }) {
  switch (view) {
    case "tasks":
      return <TasksView />;
    case "invoke":
      return <InvokeView />;
    case "logs":
      return <LogsView />;
    case "monitor":
      return <MonitorView />;
    case "schedules":
      return <SchedulesView />;
    case "aliases":
      return <AliasesView />;
    case "grants":
      return <GrantsView />;
    case "tokens":
      return <TokensView />;
    case "remotes":
      return <RemotesView />;
    case "apis":
      return <ApisView />;
    case "projects":
      return <ProjectsView />;
    case "pool":
      return <PoolView />;
    case "profiles":
      return <ProfilesView />;
  }
}
