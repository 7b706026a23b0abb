// @vitest-environment happy-dom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceDecoder } from '../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import { ImageLoader } from '../../../../../renderer/features/imaging/viewer/image-loader';
import { SeriesStrip } from '../../../../../renderer/features/imaging/viewer/series-strip';
import type { ViewerSeries } from '../../../../../renderer/vault/imaging/study-instances';
import { nodeCodecs } from './node-codecs';
import { pdfInstance, srInstance, TS } from './viewer-fixtures';

/**
 * User test T1 F13: the thumbnail of an SR series and of an encapsulated PDF series was a black
 * square (they have no image to draw), and the labels were cut off with no way to read them whole.
 */

afterEach(cleanup);

const STUDY = '1.2.826.0.1.3680043.10.995.1';
const fields = { studyInstanceUid: STUDY, patientId: 'MRN-STRIP', patientName: 'Strip^Sam', studyDescription: 'STRIP' };
const LONG = 'POST-PROCEDURE RADIOLOGY REPORT WITH KEY IMAGES AND MEASUREMENTS';

function series(seriesId: string, number: number, modality: string, description: string, sopClassUid: string): ViewerSeries {
  return {
    seriesId,
    seriesInstanceUid: `${STUDY}.${number}`,
    modality,
    number,
    description,
    bodyPart: '',
    instances: [{ sopInstanceUid: `${STUDY}.${number}.1`, sopClassUid, transferSyntaxUid: TS.explicitLittle, number: 1, rows: null, columns: null, frames: null, source: 'import', callingAeTitle: '', instanceId: `inst-${number}`, objectId: `obj-${number}`, copy: 1, earlierCopies: [] }],
  };
}

function renderStrip(): void {
  const bytes: Record<string, Uint8Array> = {
    'inst-1': new Uint8Array(srInstance({ ...fields, sopInstanceUid: `${STUDY}.1.1`, seriesInstanceUid: `${STUDY}.1`, seriesNumber: 1 }, 'No focal lesion.')),
    'inst-2': new Uint8Array(pdfInstance({ ...fields, sopInstanceUid: `${STUDY}.2.1`, seriesInstanceUid: `${STUDY}.2`, seriesNumber: 2 }, Buffer.from('%PDF-1.4\n%%EOF\n'), 'Referral letter')),
  };
  const decoder = new InstanceDecoder(nodeCodecs());
  // The worker's decoder in this thread, given the plain Part 10 bytes.
  const loader = new ImageLoader({ source: async (id) => bytes[id]!, decoder: { open: (key, source, decodeFirst) => decoder.open(key, source as Uint8Array, decodeFirst), frame: (key, frame) => decoder.frame(key, frame), tags: async (key) => decoder.tags(key) } });
  const list = [series('s-sr', 1, 'SR', LONG, '1.2.840.10008.5.1.4.1.1.88.11'), series('s-pdf', 2, 'DOC', 'Referral letter', '1.2.840.10008.5.1.4.1.1.104.1')];
  render(<SeriesStrip series={list} chosen={0} onChoose={() => undefined} loader={loader} thumbnails={true} />);
}

const item = (name: RegExp) => within(screen.getByRole('navigation', { name: 'Series' })).getByRole('button', { name });

describe('SeriesStrip: series without an image', () => {
  it('shows an SR series as a report and a PDF series as a PDF, not as a blank image', async () => {
    renderStrip();
    const report = await within(item(/Series 1/)).findByRole('img', { name: 'Structured report' });
    expect(report.textContent).toContain('SR');
    const pdf = await within(item(/Series 2/)).findByRole('img', { name: 'PDF document' });
    expect(pdf.textContent).toContain('PDF');
    // No canvas is left behind to paint black.
    expect(item(/Series 1/).querySelector('canvas')).toBeNull();
    expect(item(/Series 2/).querySelector('canvas')).toBeNull();
  });

  it('carries each label in full as the item’s title, however narrow the column', () => {
    renderStrip();
    expect(item(/Series 1/).title).toBe(`Series 1 · SR\n${LONG}\n1 instance`);
    expect(item(/Series 2/).title).toBe('Series 2 · DOC\nReferral letter\n1 instance');
    expect(within(item(/Series 1/)).getByText(LONG)).toBeTruthy();
  });
});
