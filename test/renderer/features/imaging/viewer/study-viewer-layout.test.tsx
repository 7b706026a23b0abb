// @vitest-environment happy-dom
import { fireEvent, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { InstanceDecoder } from '../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import { nodeCodecs } from './node-codecs';
import { openStudy, sliceStudy } from './study-viewer-setup';
import { ctSlice, TS } from './viewer-fixtures';

vi.mock('../../../../../renderer/features/imaging/viewer/decode-client', () => import('./worker-decode-client'));

// Slice 2 was received again with other bytes.
const { study, instanceBytes: latest, uid } = sliceStudy({ uidRoot: '2.25.7710', slices: 3, copies: (n) => (n === 2 ? { copy: 2, earlierCopies: [{ copy: 1, instanceId: 'inst-2.copy1', objectId: 'obj-2.copy1' }] } : { copy: 1, earlierCopies: [] }) });
const instanceBytes = {
  ...latest,
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
    const viewer = await openStudy(study, instanceBytes, new InstanceDecoder(nodeCodecs(), 8));
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
