// The window's entry point: choose the transport (Electron IPC or HTTP with the owner key), build the stores, render.
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { useStore } from "zustand";
import { App } from "./app.tsx";
import { forgetOwnerKey, rememberOwnerKey, takeOwnerKey } from "./browser-auth.ts";
import { KeyScreen } from "./components/key-screen.tsx";
import { StartupGate } from "./components/startup-gate.tsx";
import { StoresContext } from "./components/stores-context.ts";
import { isAuthError } from "./logic/errors.ts";
import { createAppStores, type AppStores } from "./stores/app-stores.ts";
import { isView, type Theme } from "./stores/ui-store.ts";
import { httpTransport, ipcTransport, type Transport } from "./transport.ts";
// Last, so the window's own rules come after those of the libraries its components import.
import "./app.css";

const PROFILE_KEY = "hearth.profile";
const THEME_KEY = "hearth.theme";

const memory = {
  get: () => localStorage.getItem(PROFILE_KEY),
  set: (id: string) => localStorage.setItem(PROFILE_KEY, id),
  theme: () => {
    const t = localStorage.getItem(THEME_KEY);
    return t === "light" || t === "dark" || t === "system" ? (t as Theme) : null;
  },
  setTheme: (t: Theme) => localStorage.setItem(THEME_KEY, t),
};

function initialView() {
  const v = location.hash.replace(/^#\/?/, "");
  return isView(v) ? v : undefined;
}

function storesFor(transport: Transport): AppStores {
  return createAppStores(transport, memory, initialView());
}

/** Browser mode: without a key (or with a refused one) the key screen; with one, the app. */
function BrowserRoot() {
  const [key, setKey] = useState(() => takeOwnerKey(location, history, sessionStorage));
  const [rejected, setRejected] = useState(false);
  const [stores, setStores] = useState<AppStores | null>(() =>
    key ? storesFor(httpTransport(location.origin, key)) : null,
  );
  // The link `hearth serve` prints, opened in a tab already showing the window, changes only the fragment.
  useEffect(() => {
    const onHash = () => {
      if (!location.hash.includes("key=")) return;
      const k = takeOwnerKey(location, history, sessionStorage);
      if (!k) return;
      setKey(k);
      setRejected(false);
      setStores(storesFor(httpTransport(location.origin, k)));
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  if (!key || !stores || rejected) {
    return (
      <KeyScreen
        rejected={rejected}
        onKey={(k) => {
          if (!rememberOwnerKey(sessionStorage, k)) return;
          setKey(k);
          setRejected(false);
          setStores(storesFor(httpTransport(location.origin, k)));
        }}
      />
    );
  }
  return (
    <AuthWatch
      stores={stores}
      onRejected={() => {
        forgetOwnerKey(sessionStorage);
        setRejected(true);
      }}
    />
  );
}

/** The key screen takes over when the host refuses the key (another data directory, a reset). */
function AuthWatch({ stores, onRejected }: { stores: AppStores; onRejected: () => void }) {
  const refused = useStore(stores.session, (s) => isAuthError(s.error));
  useEffect(() => {
    if (refused) onRejected();
  }, [refused, onRejected]);
  if (refused) return null;
  return (
    <StoresContext.Provider value={stores}>
      <StartupGate api={stores.transport.api}>
        <App />
      </StartupGate>
    </StoresContext.Provider>
  );
}

function ElectronRoot({ transport }: { transport: Transport }) {
  const [stores] = useState(() => storesFor(transport));
  return (
    <StoresContext.Provider value={stores}>
      <StartupGate api={transport.api}>
        <App />
      </StartupGate>
    </StoresContext.Provider>
  );
}

const root = createRoot(document.getElementById("root")!);
root.render(
  <StrictMode>
    {window.hearth ? <ElectronRoot transport={ipcTransport(window.hearth)} /> : <BrowserRoot />}
  </StrictMode>,
);
