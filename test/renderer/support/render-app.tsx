import { act, cleanup, render, type RenderResult } from '@testing-library/react';
import { afterEach } from 'vitest';
import { createApiClient } from '../../../shared/ipc/api-client';
import type { EventName, EventPayloadOf } from '../../../shared/ipc/contract';
import { App } from '../../../renderer/app/app';
import type { LedgerService } from '../../../renderer/ledger/ledger-service';
import type { NetworkJoiner } from '../../../renderer/network/network-join';
import type { ResearchConsent } from '../../../renderer/research/research-consent';
import type { DataSearch } from '../../../renderer/app/research-context';
import type { FakeNode } from './fake-transport';
import { createFakeVault, type FakeVault } from './fake-vault-service';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', '/');
  delete document.documentElement.dataset.theme;
  delete document.documentElement.dataset.density;
});

/**
 * Renders the whole app against a fake node and a fake vault, starting at a given hash route.
 * Without a vault, one in the node's vault state is made (an unlocked one has an admin operator).
 * Without a ledger, the app has none (the ledger screens say so).
 */
export function renderApp(
  node: FakeNode,
  hash = '',
  vault: FakeVault = createFakeVault({ phase: node.state.vault.state }),
  ledger?: LedgerService,
  network?: NetworkJoiner,
  research?: ResearchConsent,
  dataSearch?: DataSearch,
): RenderResult & { vault: FakeVault } {
  window.history.replaceState(null, '', `/${hash}`);
  const result = render(<App api={createApiClient(node.transport)} transport={node.transport} vault={vault} ledger={ledger} network={network} research={research} dataSearch={dataSearch} />);
  return { ...result, vault };
}

/** Sends an event from the fake body inside act(), as React expects for external updates. */
export function emitEvent<E extends EventName>(node: FakeNode, name: E, payload: EventPayloadOf<E>): void {
  act(() => node.emit(name, payload));
}
