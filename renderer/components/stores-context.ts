// Hands the window's stores to every component without threading them through props.
import { createContext, useContext } from "react";
import type { AppStores } from "../stores/app-stores.ts";

export const StoresContext = createContext<AppStores | null>(null);

export function useStores(): AppStores {
  const stores = useContext(StoresContext);
  if (!stores) throw new Error("useStores outside StoresContext");
  return stores;
}
