// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InstanceDecoder } from '../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import type { ViewerInstance, ViewerStudy } from '../../../../../renderer/vault/imaging/study-instances';
import { createFakeNode } from '../../../support/fake-transport';
import { createFakeVault } from '../../../support/fake-vault-service';
import { renderApp } from '../../../support/render-app';
import { nodeCodecs } from './node-codecs';
import { ctSlice, TS } from './viewer-fixtures';

const worker = vi.hoisted(() => ({ decoder: null as unknown as { open: (key: string, bytes: Uint8Array, decodeFirst: boolean) => Promise<unknown>; frame: (key: string, frame: number) => Promise<unknown>; tags: (key: string) => unknown; reset: () => void } }));
vi.mock('../../../../../renderer/features/imaging/viewer/decode-client', () => ({
  sharedDecodeClient: () => ({
    warm: () => undefined,
    reset: async () => worker.decoder.reset(),
    open: (key: string, source: Uint8Array, decodeFirst: boolean) => worker.decoder.open(key, source, decodeFirst),
    frame: (key: string, frame: number) => worker.decoder.frame(key, frame),
    tags: async (key: string) => worker.decoder.tags(key),
    terminate: () => undefined,
  }),
}));

const uid = (n: number) => `2.25.7720${n}`;
const instance = (n: number): ViewerInstance => ({
  sopInstanceUid: uid(n),
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  transferSyntaxUid: TS.explicitLittle,
  number: n,
  rows: 16,
  columns: 16,
  frames: null,
  source: 'network',
  callingAeTitle: 'QA',
  instanceId: `inst-${n}`,
  objectId: `obj-${n}`,
  copy: 1,
  earlierCopies: [],
});
const studyOf = (modality: string): ViewerStudy => ({
  studyId: `study-${modality}`,
  patientId: 'p1',
  study: { studyInstanceUid: '1.2.3.4', date: '2026-03-02', time: '', description: `${modality} STUDY`, accessionNumber: '', studyId: '', referringPhysician: '', institution: '', receivedAt: '2026-03-02T10:00:00.000Z' },
  series: [{ seriesId: 'series-1', seriesInstanceUid: '1.2.3.4.1', modality, number: 1, description: 'ONE', bodyPart: '', instances: [instance(1)] }],
  sharedWithOtherPatient: false,
  instancesWithOtherCopies: 0,
});
// The slice names one window of its own: centre 40, width 400, "ABDOMEN".
const instanceBytes = { 'inst-1': new Uint8Array(ctSlice({ size: 16, transferSyntax: TS.explicitLittle, sopInstanceUid: uid(1), instanceNumber: 1 })) };

async function open(modality: string) {
  worker.decoder = new InstanceDecoder(nodeCodecs(), 8);
  const vault = createFakeVault({ phase: 'unlocked', viewerStudies: [studyOf(modality)], instanceBytes });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), `#/imaging/studies/study-${modality}`, vault);
  const viewer = await screen.findByRole('region', { name: `${modality} STUDY` });
  await waitFor(() => expect(within(viewer).getByTestId('viewer-window').textContent).toBe('W 400 / L 40'));
  const presets = within(viewer).getByRole('group', { name: 'Window presets' });
  return { viewer, presets, names: within(presets).getAllByRole('button').map((button) => button.textContent) };
}

// QA T1 F7: Brain/Lung/Bone/Abdomen were offered on CR, MR and secondary capture (a radiograph turned black under "Brain").
describe('the study viewer’s window presets', () => {
  afterEach(cleanup);

  it('on a CR: only the image’s own window and Default, and key 1 is the image’s window', async () => {
    const { viewer, presets, names } = await open('CR');
    expect(names).toEqual(['ABDOMEN', 'Default']);
    expect(within(presets).getByRole('button', { name: 'ABDOMEN' }).getAttribute('title')).toBe('Window Center 40, Width 400 (key 1)');
    fireEvent.keyDown(viewer, { key: '2' });
    fireEvent.keyDown(viewer, { key: '1' });
    expect(within(viewer).getByTestId('viewer-window').textContent).toBe('W 400 / L 40');
  });

  it('on a CT: the CT presets, the image’s own window, and Default back to the image’s window', async () => {
    const { viewer, presets, names } = await open('CT');
    expect(names).toEqual(['Brain', 'Lung', 'Bone', 'Abdomen', 'ABDOMEN', 'Default']);
    fireEvent.keyDown(viewer, { key: '1' });
    await waitFor(() => expect(within(viewer).getByTestId('viewer-window').textContent).toBe('W 80 / L 40'));
    fireEvent.click(within(presets).getByRole('button', { name: 'Default' }));
    await waitFor(() => expect(within(viewer).getByTestId('viewer-window').textContent).toBe('W 400 / L 40'));
  });
});
