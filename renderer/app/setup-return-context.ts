import { createContext, useContext } from 'react';

/**
 * While someone explores the app before a vault exists, the way back to the first-run screen
 * (where the vault is created); null once a vault exists.
 */
export const SetupReturnContext = createContext<(() => void) | null>(null);

export function useSetupReturn(): (() => void) | null {
  return useContext(SetupReturnContext);
}
