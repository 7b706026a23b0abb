// @vitest-environment happy-dom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeNode } from '../../support/fake-transport';
import { renderApp } from '../../support/render-app';

/**
 * QA s32 t3 #2: the collapsed sidebar (icons only, up to 1,080 px) shows each link's label as a
 * tooltip on hover and on keyboard focus (layout.css; seen in the e2e flowsheet-layout test). Like
 * any content shown on hover or focus, it can be dismissed with Escape without moving focus or the
 * pointer (WCAG 1.4.13), and comes back when focus or the pointer moves to a link.
 */
describe('the sidebar labels shown on hover and focus', () => {
  async function renderNav() {
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '');
    return screen.findByRole('navigation', { name: 'Areas' });
  }

  it('keeps each label as the link\'s name and text, for screen readers and for the tooltip', async () => {
    const nav = await renderNav();
    const patients = within(nav).getByRole('link', { name: 'Patients' });
    expect(patients.querySelector('span')?.textContent).toBe('Patients');
  });

  it('Escape dismisses the labels without moving focus; focus or the pointer on a link shows them again', async () => {
    const nav = await renderNav();
    const patients = within(nav).getByRole('link', { name: 'Patients' });
    const devices = within(nav).getByRole('link', { name: 'Devices' });
    act(() => patients.focus());
    expect(nav.getAttribute('data-labels')).toBeNull();
    fireEvent.keyDown(patients, { key: 'Escape' });
    expect(nav.getAttribute('data-labels')).toBe('dismissed');
    expect(document.activeElement).toBe(patients);
    act(() => devices.focus());
    expect(nav.getAttribute('data-labels')).toBeNull();
    // Escape pressed elsewhere (focus in the content) hides a label shown by the pointer, too.
    fireEvent.keyDown(document.body, { key: 'Escape' });
    expect(nav.getAttribute('data-labels')).toBe('dismissed');
    fireEvent.mouseEnter(patients);
    expect(nav.getAttribute('data-labels')).toBeNull();
    fireEvent.keyDown(document.body, { key: 'Enter' });
    expect(nav.getAttribute('data-labels')).toBeNull();
  });
});
