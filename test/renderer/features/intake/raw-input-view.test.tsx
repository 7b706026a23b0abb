// @vitest-environment happy-dom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { BinaryRawInput, DicomRawInput } from '../../../../renderer/features/intake/raw-input-view';
import { instanceElements, part10File } from '../../../electron/intake/dicom/dicom-test-support';

afterEach(cleanup);

describe('raw view of inputs that are not HL7 text', () => {
  it('shows a quarantined DICOM instance as its elements and first bytes', () => {
    const bytes = part10File(instanceElements({ sopInstanceUid: '1.2.3.4', patientId: 'MRN-VIEW-7', studyDescription: 'CT CHEST' }));
    render(<DicomRawInput message={{ seq: 12, objectId: 'a'.repeat(64), bytes, channel: 'dicom' }} />);
    expect(screen.getByRole('heading', { name: 'Quarantined DICOM input (journal sequence 12)' })).toBeTruthy();
    expect(screen.getByText(/A DICOM Part 10 file/)).toBeTruthy();
    const table = screen.getByRole('table', { name: 'Elements that could be read' });
    expect(within(table).getByRole('row', { name: /\(0010,0020\)/ }).textContent).toContain('MRN-VIEW-7');
    expect(screen.queryByText(/Reading stopped/)).toBeNull();
    expect(screen.getByRole('region', { name: 'First bytes' }).textContent).toMatch(/00000080 {2}44 49 43 4d/);
  });

  it('says where reading stopped, and that only the start of a large input was opened', () => {
    const whole = part10File([...instanceElements({ sopInstanceUid: '1.2.3.5', patientId: 'MRN-CUT-1' }), [0x00291010, 'OB', Buffer.alloc(6000, 2)]]);
    const start = whole.subarray(0, whole.length - 5000);
    render(<DicomRawInput message={{ seq: 13, objectId: 'b'.repeat(64), bytes: start, channel: 'dicom', totalBytes: 300_000_000 }} />);
    expect(screen.getByText(/^Reading stopped: /)).toBeTruthy();
    expect(within(screen.getByRole('table', { name: 'Elements that could be read' })).getByRole('row', { name: /\(0010,0020\)/ }).textContent).toContain('MRN-CUT-1');
    expect(screen.getByText(/300 MB; the first .* were opened to read it/)).toBeTruthy();
  });

  it('shows a device report as its size and bytes', () => {
    const bytes = Uint8Array.from([0xe2, 0x00, 0x00, 0x32, 0x80, 0x00, 0x00, 0x00]);
    render(<BinaryRawInput message={{ seq: 14, objectId: 'c'.repeat(64), bytes, channel: 'devices' }} />);
    expect(screen.getByRole('heading', { name: 'Quarantined input (journal sequence 14)' })).toBeTruthy();
    expect(screen.getByRole('region', { name: 'First bytes' }).textContent).toContain('00000000  e2 00 00 32 80 00 00 00');
  });
});
