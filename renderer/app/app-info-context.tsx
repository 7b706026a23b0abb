import { createContext, useContext } from 'react';
import type { AppInfo } from '../../shared/ipc/app-contract';

/** Facts about this installation, loaded once at startup; they do not change while the app runs. */
export const AppInfoContext = createContext<AppInfo | null>(null);

export function useAppInfo(): AppInfo {
  const info = useContext(AppInfoContext);
  if (info === null) throw new Error('useAppInfo() needs an <AppInfoContext.Provider> above it.');
  return info;
}
