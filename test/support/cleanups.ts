import { afterEach } from 'vitest';

/**
 * Registers an afterEach that runs what the test handed over (servers, bodies), newest first, and
 * returns the function that hands a cleanup over.
 */
export function useCleanups(): (cleanup: () => Promise<void>) => void {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}
