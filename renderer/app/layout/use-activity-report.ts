import { useLayoutEffect } from 'react';
import type { VaultService } from '../../vault/vault-service';

/** At most one report per interval: auto-lock counts minutes, so a few seconds of slack cost nothing. */
export const ACTIVITY_THROTTLE_MS = 5_000;

/**
 * Tells the vault about the user's pointer and keyboard activity (throttled), so auto-lock
 * measures real idleness. Listens in the capture phase, so no component can swallow it.
 * Attached in a layout effect, in the same commit that shows the frame: a passive effect can run
 * a task later, and a keystroke in between was not counted (the CI saw it under load).
 */
export function useActivityReport(vault: VaultService, enabled: boolean, win: Window = window): void {
  useLayoutEffect(() => {
    if (!enabled) return;
    let last = Number.NEGATIVE_INFINITY;
    const report = (): void => {
      const now = Date.now();
      if (now - last < ACTIVITY_THROTTLE_MS) return;
      last = now;
      vault.noteActivity();
    };
    const options = { capture: true, passive: true };
    win.addEventListener('pointerdown', report, options);
    win.addEventListener('keydown', report, options);
    win.addEventListener('wheel', report, options);
    return () => {
      win.removeEventListener('pointerdown', report, options);
      win.removeEventListener('keydown', report, options);
      win.removeEventListener('wheel', report, options);
    };
  }, [vault, enabled, win]);
}
