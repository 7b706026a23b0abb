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

const SLICES = 3;
const uid = (n: number) => `2.25.7710${n}`;
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
  // Slice 2 was received again with other bytes.
  copy: n === 2 ? 2 : 1,
  earlierCopies: n === 2 ? [{ copy: 1, instanceId: 'inst-2.copy1', objectId: 'obj-2.copy1' }] : [],
});
const study: ViewerStudy = {
  studyId: 'study-ct',
  patientId: 'p1',
  study: { studyInstanceUid: '1.2.3.4', date: '2026-03-02', time: '', description: 'CT CHEST', accessionNumber: '', studyId: '', referringPhysician: '', institution: '', receivedAt: '2026-03-02T10:00:00.000Z' },
  series: [{ seriesId: 'series-1', seriesInstanceUid: '1.2.3.4.1', modality: 'CT', number: 1, description: 'AXIAL', bodyPart: '', instances: Array.from({ length: SLICES }, (_, i) => instance(i + 1)) }],
  sharedWithOtherPatient: false,
  instancesWithOtherCopies: 1,
};
const instanceBytes = {
  ...Object.fromEntries(Array.from({ length: SLICES }, (_, i) => [`inst-${i + 1}`, new Uint8Array(ctSlice({ size: 16, slice: i, transferSyntax: TS.explicitLittle, sopInstanceUid: uid(i + 1), instanceNumber: i + 1 }))])),
  'inst-2.copy1': new Uint8Array(ctSlice({ size: 16, slice: 7, transferSyntax: TS.explicitLittle, sopInstanceUid: uid(2), instanceNumber: 2 })),
};

/** What comes before the image's stage in the viewer: what decides where the stage sits and how tall it is. */
function aboveTheStage(viewer: HTMLElement): string[] {
  const stage = viewer.querySelector('.viewer-stage')!;
  const path: string[] = [];
  for (let node: Element | null = stage; node !== null && node !== viewer; node = node.parentElement) {
    let sibling = node.previousElementSibling;
    while (sibling !== null) {
      path.push(`${node.parentElement!.className} > ${sibling.className}`);
      sibling = sibling.previousElementSibling;
    }
  }
  return path;
}

// QA T1 F2: scrolling onto an image with another copy inserted a notice above the canvas, which shrank (zoom 120% -> 101%) and moved ~100 px, then jumped back on the next image.
describe('the study viewer’s layout while scrolling over an image received twice', () => {
  it('keeps the stage’s place and size: the copy notice is inside the image area, nothing above it changes', async () => {
    worker.decoder = new InstanceDecoder(nodeCodecs(), 8);
    const vault = createFakeVault({ phase: 'unlocked', viewerStudies: [study], instanceBytes });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/imaging/studies/study-ct', vault);
    const viewer = await screen.findByRole('region', { name: 'CT CHEST' });
    await waitFor(() => expect(within(viewer).getByTestId('viewer-position').textContent).toContain('Image 1 / 3'));
    const before = aboveTheStage(viewer);
    const stageHeight = (viewer.querySelector('.viewer-stage') as HTMLElement).style.height;

    fireEvent.keyDown(viewer, { key: 'ArrowDown' });
    await waitFor(() => expect(within(viewer).getByTestId('viewer-position').textContent).toContain('Image 2 / 3'));
    const note = await within(viewer).findByTestId('viewer-copies');
    expect(note.textContent).toContain('Shown: copy 2 of 2, the latest.');
    expect(viewer.querySelector('.viewer-stage')!.contains(note)).toBe(true);
    expect(aboveTheStage(viewer)).toEqual(before);
    expect((viewer.querySelector('.viewer-stage') as HTMLElement).style.height).toBe(stageHeight);
    // The other copy still opens from the notice.
    fireEvent.click(within(note).getByRole('button', { name: 'Show copy 1 of 2, received earlier' }));
    await waitFor(() => expect(within(viewer).getByTestId('viewer-copies').textContent).toContain('Shown: copy 1 of 2, received earlier.'));

    fireEvent.keyDown(viewer, { key: 'ArrowDown' });
    await waitFor(() => expect(within(viewer).getByTestId('viewer-position').textContent).toContain('Image 3 / 3'));
    expect(within(viewer).queryByTestId('viewer-copies')).toBeNull();
    expect(aboveTheStage(viewer)).toEqual(before);
  });
});
