// @vitest-environment happy-dom
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/** Tester H8 F18: the Vitals range buttons were unstyled native buttons with no selected state to see. */

describe('the Vitals time range', () => {
  it('is a segmented control like the Results views: one button pressed', async () => {
    const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Carl Clinician', role: 'clinician', passphrase: 'x'.repeat(20) }], patients: [makePatient(7, {})] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
    const group = await screen.findByRole('group', { name: 'Time range' });
    expect(group.classList.contains('segmented')).toBe(true);
    const buttons = within(group).getAllByRole('button');
    expect(buttons.map((button) => button.className)).toEqual(buttons.map(() => 'segmented__button'));
    expect(buttons.filter((button) => button.getAttribute('aria-pressed') === 'true')).toHaveLength(1);
  });
});
