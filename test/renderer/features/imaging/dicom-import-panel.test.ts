import { describe, expect, it } from 'vitest';
import { importDicomFiles } from '../../../../renderer/features/imaging/dicom-import-panel';
import { INTAKE_FILE_MAX_BYTES } from '../../../../shared/ipc/intake-contract';

type Calls = { files?: { bytes: string }[]; upload?: string }[];

function fakeApi(calls: Calls, fail = false) {
  return {
    intake: {
      uploadBegin: async () => ({ handle: '0'.repeat(32) }),
      uploadAppend: async () => ({ bytes: 0 }),
      uploadAbort: async () => ({}),
    },
    dicom: {
      importFiles: async (request: { files?: { bytes: string }[]; upload?: string }) => {
        calls.push(request);
        if (fail) throw new Error('No vault is open in this data folder.');
        const count = request.files?.length ?? 1;
        return { results: Array.from({ length: count }, (_, file) => ({ file, outcome: file === 0 ? ('stored' as const) : ('not-dicom' as const), ...(file === 0 ? {} : { reason: 'Neither a DICOM file nor a data set.' }) })) };
      },
    },
  } as never;
}

const file = (name: string, size = 10) => ({ name, bytes: new Uint8Array(size) });

describe('DICOM import from the mind', () => {
  it('sends files in batches and matches the results to the names, which never leave the mind', async () => {
    const calls: Calls = [];
    const progress: number[] = [];
    const rows = await importDicomFiles(fakeApi(calls), [file('CD/DICOM/IM0001'), file('CD/README.TXT')], { onProgress: (done) => progress.push(done) });
    expect(rows).toEqual([
      { name: 'CD/DICOM/IM0001', outcome: 'stored' },
      { name: 'CD/README.TXT', outcome: 'not-dicom', reason: 'Neither a DICOM file nor a data set.' },
    ]);
    expect(JSON.stringify(calls)).not.toContain('IM0001');
    expect(progress).toEqual([2]);
  });

  it('lists files too large to import, files not sent after Cancel, and a failed call per file', async () => {
    const calls: Calls = [];
    let cancelled = false;
    const rows = await importDicomFiles(fakeApi(calls), [file('big.dcm', INTAKE_FILE_MAX_BYTES + 1), file('a.dcm', 5 * 1024 * 1024), file('b.dcm', 5 * 1024 * 1024)], {
      onProgress: () => (cancelled = true),
      cancelled: () => cancelled,
    });
    expect(rows.map((row) => [row.name, row.outcome])).toEqual([
      ['big.dcm', 'too-large'],
      ['a.dcm', 'stored'],
      ['b.dcm', 'cancelled'],
    ]);
    const failed = await importDicomFiles(fakeApi([], true), [file('x.dcm')]);
    expect(failed).toEqual([{ name: 'x.dcm', outcome: 'error', reason: 'No vault is open in this data folder.' }]);
  });
});
