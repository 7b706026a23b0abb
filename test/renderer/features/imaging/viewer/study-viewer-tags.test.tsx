// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { InstanceDecoder } from '../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import type { ViewerInstance, ViewerStudy } from '../../../../../renderer/vault/imaging/study-instances';
import { createFakeNode } from '../../../support/fake-transport';
import { createFakeVault } from '../../../support/fake-vault-service';
import { renderApp } from '../../../support/render-app';
import { nodeCodecs } from './node-codecs';
import { ctSlice, TS } from './viewer-fixtures';

/**
 * The decode worker's own state (InstanceDecoder) behind the page's client, keeping 2 instances
 * open instead of 24: a series of 6 is a series of 50 at the worker's real bound.
 */
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

const SLICES = 6;
const uid = (n: number) => `2.25.7700${n}`;
const instance = (n: number): ViewerInstance => ({
  sopInstanceUid: uid(n),
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  transferSyntaxUid: TS.explicitLittle,
  number: n,
  rows: 16,
  columns: 16,
  frames: null,
  source: 'network',
  callingAeTitle: 'CT_QA',
  instanceId: `inst-${n}`,
  objectId: `obj-${n}`,
  copy: 1,
  earlierCopies: [],
});
const study: ViewerStudy = {
  studyId: 'study-ct',
  patientId: 'p1',
  study: { studyInstanceUid: '1.2.3.4', date: '2026-03-02', time: '', description: 'CT CHEST', accessionNumber: '', studyId: '', referringPhysician: '', institution: '', receivedAt: '2026-03-02T10:00:00.000Z' },
  series: [{ seriesId: 'series-1', seriesInstanceUid: '1.2.3.4.1', modality: 'CT', number: 1, description: 'AXIAL', bodyPart: '', instances: Array.from({ length: SLICES }, (_, i) => instance(i + 1)) }],
  sharedWithOtherPatient: false,
  instancesWithOtherCopies: 0,
};
const instanceBytes = Object.fromEntries(Array.from({ length: SLICES }, (_, i) => [`inst-${i + 1}`, new Uint8Array(ctSlice({ size: 16, slice: i, transferSyntax: TS.explicitLittle, sopInstanceUid: uid(i + 1), instanceNumber: i + 1 }))]));

// QA s33 D1: on a 50-slice CT, Tags on image 1 said "The instance is no longer open in the decoder." once prefetching had opened 24 others.
describe('the study viewer’s tag browser on a series longer than the decoder keeps open', () => {
  it('shows the tags of the image shown after prefetching let the decoder forget it', async () => {
    const decoder = new InstanceDecoder(nodeCodecs(), 2);
    worker.decoder = decoder;
    const open = vi.spyOn(decoder, 'open');
    const vault = createFakeVault({ phase: 'unlocked', viewerStudies: [study], instanceBytes });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/imaging/studies/study-ct', vault);
    const viewer = await screen.findByRole('region', { name: 'CT CHEST' });
    await waitFor(() => expect(within(viewer).getByTestId('viewer-position').textContent).toContain('Image 1 / 6'));
    // Prefetching opens every other slice: the decoder keeps the last two, not image 1.
    await waitFor(() => expect(new Set(open.mock.calls.map(([key]) => key)).size).toBe(SLICES));
    await expect(decoder.frame('inst-1', 0)).rejects.toThrow('no longer open');

    fireEvent.click(within(viewer).getByRole('button', { name: 'Tags' }));
    const tags = await within(viewer).findByRole('complementary', { name: 'Tags' });
    await waitFor(() => expect(within(tags).queryByRole('status')).toBeNull());
    expect(within(tags).queryByText(/no longer open/)).toBeNull();
    expect(within(tags).getByRole('table').textContent).toContain(uid(1));
    expect(within(tags).getByText(/elements$/).textContent).toMatch(/^\d+ elements$/);
  });
});
