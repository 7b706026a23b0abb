// @vitest-environment happy-dom
import { fireEvent, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { InstanceDecoder } from '../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import { nodeCodecs } from './node-codecs';
import { openStudy, sliceStudy } from './study-viewer-setup';
import { srInstance } from './viewer-fixtures';

/**
 * The decode worker's own state (InstanceDecoder) behind the page's client, keeping 2 instances
 * open instead of 24: a series of 6 is a series of 50 at the worker's real bound.
 */
vi.mock('../../../../../renderer/features/imaging/viewer/decode-client', () => import('./worker-decode-client'));

const SLICES = 6;
const { study, instanceBytes, uid } = sliceStudy({ uidRoot: '2.25.7700', slices: SLICES });

// QA s33 D1: on a 50-slice CT, Tags on image 1 said "The instance is no longer open in the decoder." once prefetching had opened 24 others.
describe('the study viewer’s tag browser on a series longer than the decoder keeps open', () => {
  it('shows the tags of the image shown after prefetching let the decoder forget it', async () => {
    const decoder = new InstanceDecoder(nodeCodecs(), 2);
    const open = vi.spyOn(decoder, 'open');
    const viewer = await openStudy(study, instanceBytes, decoder);
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

// H6 (session 38) user test: Tags beside a structured report or a PDF said "Image 1 of 1".
describe('the tag browser beside a report or a document', () => {
  it('names the instance, not an image', async () => {
    const base = sliceStudy({ uidRoot: '2.25.7701', slices: 1, studyId: 'study-sr', description: 'SR STUDY' });
    const series = base.study.series[0]!;
    const study = { ...base.study, series: [{ ...series, modality: 'SR', instances: [{ ...series.instances[0]!, sopClassUid: '1.2.840.10008.5.1.4.1.1.88.11', rows: null, columns: null }] }] };
    const bytes = { 'inst-1': new Uint8Array(srInstance({ sopInstanceUid: base.uid(1), studyInstanceUid: '1.2.3.4', seriesInstanceUid: '1.2.3.4.1', patientId: 'MRN-SR', patientName: 'Report^Rita', studyDescription: 'SR STUDY' }, 'No focal lesion.')) };
    const viewer = await openStudy(study, bytes, new InstanceDecoder(nodeCodecs(), 2));
    await within(viewer).findByText(/No focal lesion\./);
    fireEvent.click(within(viewer).getByRole('button', { name: 'Tags' }));
    const tags = await within(viewer).findByRole('complementary', { name: 'Tags' });
    expect(within(tags).queryByText(/^Image 1 of 1$/)).toBeNull();
    expect(within(tags).getByText('Instance 1 of 1')).toBeTruthy();
  });
});

// H6 (session 38) finding 6: an instance read with an unknown Specific Character Set said so nowhere.
describe('an instance whose character set this build does not know', () => {
  it('is named in the study’s notices (how many of its instances) and in the tag panel of that instance', async () => {
    const base = sliceStudy({ uidRoot: '2.25.7702', slices: 3, studyId: 'study-cs' });
    const series = base.study.series[0]!;
    const instances = series.instances.map((instance, index) => (index === 0 ? { ...instance, unknownCharset: 'ISO_IR 999' } : instance));
    const study = { ...base.study, series: [{ ...series, instances }] };
    const viewer = await openStudy(study, base.instanceBytes, new InstanceDecoder(nodeCodecs(), 2));
    const note = 'Character set ISO_IR 999 (0008,0005) is not known: names and text are shown as read with Latin-1 and may be wrong.';
    expect(within(viewer).getByRole('note').textContent).toContain(`${note} It concerns 1 of 3 instances.`);
    await waitFor(() => expect(within(viewer).getByTestId('viewer-position').textContent).toContain('Image 1 / 3'));
    fireEvent.click(within(viewer).getByRole('button', { name: 'Tags' }));
    const tags = await within(viewer).findByRole('complementary', { name: 'Tags' });
    expect(tags.textContent).toContain(note);
  });

  it('gives no notice when every character set is known', async () => {
    const { study, instanceBytes } = sliceStudy({ uidRoot: '2.25.7703', slices: 2, studyId: 'study-cs-known' });
    const viewer = await openStudy(study, instanceBytes, new InstanceDecoder(nodeCodecs(), 2));
    await waitFor(() => expect(within(viewer).getByTestId('viewer-position').textContent).toContain('Image 1 / 2'));
    expect(within(viewer).queryByText(/is not known/)).toBeNull();
  });
});
