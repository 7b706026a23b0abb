// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { INTAKE_CHUNK_MAX_CHARS, INTAKE_FILE_MAX_BYTES, type IntakeMessageResult } from '../../../../shared/ipc/intake-contract';
import { fromBase64Url } from '../../../../shared/crypto/bytes';
import { importHl7Files, planImports, type ImportRow } from '../../../../renderer/features/intake/intake-upload';
import { importSummaryText, summarize } from '../../../../renderer/features/intake/file-import-panel';
import { createApiClient } from '../../../../shared/ipc/api-client';
import { createFakeNode, FakeRefusal } from '../../support/fake-transport';
import { renderApp } from '../../support/render-app';

const ADT = 'MSH|^~\\&|EHR|CLINIC|||20250301||ADT^A01|C1|P|2.5.1\rPID|1||M1\r';

function results(rows: readonly IntakeMessageResult[]) {
  return { results: rows, emptyFiles: [] as number[] };
}

function tableRows(name: string): string[][] {
  return within(screen.getByRole('table', { name }))
    .getAllByRole('row')
    .slice(1)
    .map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent ?? ''));
}

describe('Import HL7 files', () => {
  it('issue 11 tester #2: the summary\'s parts add up to the messages (a rejected message is quarantined, not counted twice)', () => {
    const row = (result: Partial<IntakeMessageResult>) => ({ result: { file: 0, index: 0, messageType: 'ADT^A01', controlId: 'C', ack: 'AA', ...result } as IntakeMessageResult }) as ImportRow;
    const rows = [
      ...Array.from({ length: 5 }, () => row({})),
      row({ duplicate: true }),
      row({ ack: 'AR', quarantined: true, reason: 'Not an HL7 message.' }),
    ];
    const summary = summarize(rows);
    expect(summary.accepted + summary.duplicates + summary.quarantined + summary.errors).toBe(summary.messages);
    expect(importSummaryText(summary)).toBe('Import finished: 7 messages: 5 stored, 1 duplicate, 1 quarantined (rejected).');
    const mixed = summarize([row({}), row({ quarantined: true }), row({ ack: 'AR', quarantined: true }), row({ ack: 'AE', quarantined: true }), row({ ack: 'AE' }), row({ ack: 'AR', duplicate: true })]);
    expect(importSummaryText(mixed)).toBe('Import finished: 6 messages: 1 stored, 1 duplicate, 3 quarantined (2 rejected, 1 held), 1 not accepted.');
    expect(importSummaryText(summarize([row({ quarantined: true })]))).toBe('Import finished: 1 message: 0 stored, 0 duplicates, 1 quarantined (held).');
  });

  it('a batch whose BTS-1 count disagreed with its messages: the summary says so, per file (interface analyst: taken silently)', () => {
    const note = 'Count mismatch: BTS-1 said 5, the batch held 2 messages';
    const row = (fileName: string, result: Partial<IntakeMessageResult>) => ({ fileName, result: { file: 0, index: 0, messageType: 'ADT^A01', controlId: 'C', ack: 'AA', ...result } as IntakeMessageResult }) as ImportRow;
    const summary = summarize([row('batch.hl7', { batchNote: note }), row('batch.hl7', { index: 1, batchNote: note }), row('plain.hl7', {})]);
    expect(summary.batchNotes).toEqual([`batch.hl7: ${note}`]);
    expect(importSummaryText(summary)).toBe(`Import finished: 3 messages: 3 stored, 0 duplicates, 0 quarantined. batch.hl7: ${note}; every message in it was processed.`);
    expect(summarize([row('plain.hl7', {})]).batchNotes).toEqual([]);
  });

  it('imports chosen files and lists a result per message', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('hl7.importFiles', (payload) => {
      const { files } = payload as { files: { bytes: string }[] };
      expect(files).toHaveLength(2);
      expect(new TextDecoder().decode(fromBase64Url(files[0]!.bytes))).toBe(ADT);
      return {
        results: [
          { file: 0, index: 0, messageType: 'ADT^A01', controlId: 'C1', ack: 'AA', mapping: 'mapped' },
          { file: 0, index: 1, messageType: 'ADT^A08', controlId: 'C1', ack: 'AA', duplicate: true },
          { file: 1, index: 0, messageType: 'ORU^R01', controlId: '', ack: 'AR', quarantined: true, reason: 'MSH-10 is empty.' },
        ],
        emptyFiles: [],
      };
    });
    renderApp(node, '#/intake');
    const input = await screen.findByLabelText('HL7 files');
    expect(screen.getByLabelText('Folder of HL7 files').hasAttribute('webkitdirectory')).toBe(true);
    fireEvent.change(input, { target: { files: [new File([ADT], 'admissions.hl7'), new File(['MSH|bad'], 'lab.hl7')] } });
    fireEvent.click(screen.getByRole('button', { name: 'Import HL7 files' }));
    await screen.findByRole('table', { name: 'Import results' });
    // Each row says which file of the import it came from, as a quarantined file's sender does ("file 2 of 2").
    expect(tableRows('Import results')).toEqual([
      ['admissions.hl7', 'file 1 of 2', '1', 'ADT^A01', 'C1', 'AA (accepted)', '', ''],
      ['admissions.hl7', 'file 1 of 2', '2', 'ADT^A08', 'C1', 'AA (accepted)', 'Duplicate', ''],
      ['lab.hl7', 'file 2 of 2', '1', 'ORU^R01', '', 'AR (rejected)', 'Quarantined', 'MSH-10 is empty.'],
    ]);
    // The parts add up to the messages (issue 11 tester #2: a rejected message was counted twice).
    expect(screen.getByText('Import finished: 3 messages: 1 stored, 1 duplicate, 1 quarantined (rejected).')).toBeTruthy();
  });

  it('takes files dropped on the drop zone, and names files without a message', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('hl7.importFiles', () => ({ results: [], emptyFiles: [0] }));
    renderApp(node, '#/intake');
    const zone = await screen.findByRole('region', { name: 'Drop HL7 files here' });
    fireEvent.drop(zone, { dataTransfer: { files: [new File(['hello'], 'notes.txt')], items: [] } });
    await screen.findByRole('table', { name: 'Import results' });
    expect(tableRows('Import results')).toEqual([['notes.txt', 'file 1 of 1', '', '', '', '', '', 'No HL7 message found in this file.']]);
  });

  it('shows the body’s refusal', async () => {
    const node = createFakeNode({ vault: { state: 'unlocked' } });
    node.handle('hl7.importFiles', () => {
      throw new FakeRefusal('The vault is not open on the node.');
    });
    renderApp(node, '#/intake');
    fireEvent.change(await screen.findByLabelText('HL7 files'), { target: { files: [new File([ADT], 'a.hl7')] } });
    fireEvent.click(screen.getByRole('button', { name: 'Import HL7 files' }));
    await waitFor(() => expect(tableRows('Import results')[0]![7]).toBe('The vault is not open on the node.'));
  });

  it('sends large files in upload chunks and splits imports at 64 MiB', async () => {
    const node = createFakeNode();
    const chunks: { file: number; chars: number }[] = [];
    node.handle('intake.uploadBegin', () => ({ handle: '0'.repeat(32) }));
    node.handle('intake.uploadAppend', (payload) => {
      const { file, chunk } = payload as { file: number; chunk: string };
      expect(chunk.length).toBeLessThanOrEqual(INTAKE_CHUNK_MAX_CHARS);
      chunks.push({ file, chars: chunk.length });
      return { bytes: 0 };
    });
    node.handle('hl7.importFiles', (payload) => {
      // Each file's place in the whole import goes with it (the body records it as a quarantined file's source).
      expect(payload).toEqual({ upload: '0'.repeat(32), position: { files: [2, 3], of: 3 } });
      return results([{ file: 1, index: 0, messageType: 'ADT^A01', controlId: 'C9', ack: 'AA' }]);
    });
    const api = createApiClient(node.transport);
    const big = new Uint8Array(1_300_000).fill(65);
    // The first file is too large to send: the others keep their places in the import (2 and 3 of 3).
    const rows = await importHl7Files(api, [
      { name: 'huge.hl7', bytes: new Uint8Array(INTAKE_FILE_MAX_BYTES + 1) },
      { name: 'empty.hl7', bytes: new Uint8Array(0) },
      { name: 'big.hl7', bytes: big },
    ]);
    expect(chunks.map((c) => c.file)).toEqual([0, 1, 1, 1]);
    expect(rows).toEqual([
      { fileName: 'huge.hl7', place: 1, of: 3, result: null, problem: 'Larger than 16 MiB: not imported.' },
      { fileName: 'big.hl7', place: 3, of: 3, result: expect.objectContaining({ controlId: 'C9' }) as unknown },
    ]);

    const mib = (n: number) => ({ name: `${n}`, bytes: new Uint8Array(n * 1024 * 1024) });
    const plan = planImports([mib(16), mib(16), mib(16), mib(16), mib(1), { name: 'huge', bytes: new Uint8Array(INTAKE_FILE_MAX_BYTES + 1) }]);
    expect(plan.batches.map((batch) => batch.map((f) => f.name))).toEqual([['16', '16', '16', '16'], ['1']]);
    expect(plan.tooLarge.map((f) => f.name)).toEqual(['huge']);
  });
});
