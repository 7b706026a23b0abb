import { act, cleanup, render, type RenderResult } from '@testing-library/react';
import { afterEach } from 'vitest';
import { createApiClient } from '../../../shared/ipc/api-client';
import type { EventName, EventPayloadOf } from '../../../shared/ipc/contract';
import { App } from '../../../renderer/app/app';
import type { FakeNode } from './fake-transport';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', '/');
  delete document.documentElement.dataset.theme;
  delete document.documentElement.dataset.density;
});

/** Renders the whole app against a fake node, starting at a given hash route. */
export function renderApp(node: FakeNode, hash = ''): RenderResult {
  window.history.replaceState(null, '', `/${hash}`);
  return render(<App api={createApiClient(node.transport)} transport={node.transport} />);
}

/** Sends an event from the fake body inside act(), as React expects for external updates. */
export function emitEvent<E extends EventName>(node: FakeNode, name: E, payload: EventPayloadOf<E>): void {
  act(() => node.emit(name, payload));
}
