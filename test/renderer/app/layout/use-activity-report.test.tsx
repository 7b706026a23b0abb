// @vitest-environment happy-dom
import { startTransition } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { useActivityReport } from '../../../../renderer/app/layout/use-activity-report';
import type { VaultService } from '../../../../renderer/vault/vault-service';

function Frame({ vault }: { vault: VaultService }) {
  useActivityReport(vault, true);
  return <h1>Frame</h1>;
}

const actEnvironment = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
const actEnvironmentBefore = actEnvironment.IS_REACT_ACT_ENVIRONMENT;

afterEach(() => {
  actEnvironment.IS_REACT_ACT_ENVIRONMENT = actEnvironmentBefore;
  document.body.innerHTML = '';
});

describe('useActivityReport', () => {
  it('listens from the commit that puts the frame on screen, not from a later passive-effect pass', async () => {
    // Outside act(), as in the running app: React commits the DOM first and may run passive effects
    // in a later task. Input that arrives in between (the CI saw it under load) must still count.
    actEnvironment.IS_REACT_ACT_ENVIRONMENT = false;
    let reported = 0;
    const vault = { noteActivity: () => void reported++ } as unknown as VaultService;
    const container = document.createElement('div');
    document.body.append(container);
    const root = createRoot(container);
    const countedAtFirstSight = await new Promise<number>((resolve) => {
      const observer = new MutationObserver(() => {
        if (container.querySelector('h1') === null) return;
        observer.disconnect();
        window.dispatchEvent(new Event('pointerdown'));
        resolve(reported);
      });
      observer.observe(container, { childList: true, subtree: true });
      startTransition(() => root.render(<Frame vault={vault} />));
    });
    root.unmount();
    expect(countedAtFirstSight).toBe(1);
  });
});
