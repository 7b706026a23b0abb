// @vitest-environment happy-dom
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * T1 F16: after an import (or its Cancel) the picker still showed the files while Import was
 * disabled, and choosing the same files again did nothing: a file input whose value is unchanged
 * fires no change event. The finished choice is cleared from the field too.
 */

/** A browser's file input keeps the chosen path in `value`; happy-dom's does not, so it is stood in for. */
function browserValue(input: HTMLInputElement): { current: string } {
  const held = { current: 'C:\\fakepath\\drop1.dcm' };
  Object.defineProperty(input, 'value', { configurable: true, get: () => held.current, set: (value: string) => (held.current = value) });
  return held;
}

describe('DICOM import: choosing the same files again', () => {
  it('clears the field once an import ends, so the same file can be chosen and imported again', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    let calls = 0;
    node.handle('dicom.importFiles', (request) => {
      calls++;
      return { results: ((request as { files?: unknown[] }).files ?? []).map((_, file) => ({ file, outcome: 'duplicate' })) };
    });
    renderApp(node, '#/imaging', createFakeVault({ phase: 'unlocked', studies: [] }));
    const input = (await screen.findByLabelText('DICOM files')) as HTMLInputElement;
    const value = browserValue(input);
    const file = new File([new Uint8Array(16)], 'drop1.dcm');
    fireEvent.change(input, { target: { files: [file] } });
    const button = screen.getByRole('button', { name: 'Import DICOM files' });
    fireEvent.click(button);
    await screen.findByRole('table', { name: 'Import results' });
    await waitFor(() => expect(button).toHaveProperty('disabled', true));
    expect(value.current).toBe('');
    // The same file chosen again: the field changed (from empty), so the choice counts.
    value.current = 'C:\\fakepath\\drop1.dcm';
    fireEvent.change(input, { target: { files: [file] } });
    expect(button).toHaveProperty('disabled', false);
    fireEvent.click(button);
    await waitFor(() => expect(calls).toBe(2));
  });
});
