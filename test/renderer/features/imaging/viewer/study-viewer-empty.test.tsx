// @vitest-environment happy-dom
import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { ViewerStudy } from '../../../../../renderer/vault/imaging/study-instances';
import { createFakeNode } from '../../../support/fake-transport';
import { createFakeVault } from '../../../support/fake-vault-service';
import { renderApp } from '../../../support/render-app';

// No decode worker in happy-dom: a study with nothing to show never asks it for anything.
const decoder = vi.hoisted(() => ({ warm: vi.fn(), reset: vi.fn(async () => undefined), overview: vi.fn(), frame: vi.fn(), tags: vi.fn() }));
vi.mock('../../../../../renderer/features/imaging/viewer/decode-client', () => ({ sharedDecodeClient: () => decoder }));

const empty: ViewerStudy = {
  studyId: 'study-empty',
  patientId: 'p1',
  study: { studyInstanceUid: '1.2.3.4', date: '2026-03-02', time: '', description: 'CT HEAD', accessionNumber: 'ACC-7', studyId: '', referringPhysician: '', institution: '', receivedAt: '2026-03-02T10:00:00.000Z' },
  series: [],
  sharedWithOtherPatient: false,
  instancesWithOtherCopies: 0,
};

// A study none of whose instances is in the vault's views (their series list is empty) said "Loading the image…" forever.
describe('the study viewer on a study with nothing to show', () => {
  it('says the study has no images to show, not "Loading", and offers no image tools', async () => {
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/imaging/studies/study-empty', createFakeVault({ phase: 'unlocked', viewerStudies: [empty] }));
    const viewer = await screen.findByRole('region', { name: 'CT HEAD' });
    expect(within(viewer).getByRole('status').textContent).toBe('This study has no images to show: none of its instances is in the vault, only the study details above. Instances held or quarantined at intake are listed in Intake, under Quarantine.');
    expect(within(viewer).queryByText(/Loading/)).toBeNull();
    expect(within(viewer).queryByRole('toolbar')).toBeNull();
    expect(decoder.overview).not.toHaveBeenCalled();
  });
});
