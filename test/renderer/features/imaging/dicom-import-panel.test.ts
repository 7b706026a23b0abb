import { describe, expect, it } from 'vitest';
import { importDicomFiles, streamDicomFile } from '../../../../renderer/features/imaging/dicom-import-panel';
import { pickedBlob, pickedBytes, type PickedFile } from '../../../../renderer/features/imaging/picked-file';
import { INTAKE_FILE_MAX_BYTES } from '../../../../shared/ipc/intake-contract';

type Calls = { files?: { bytes: string }[]; upload?: string; position?: { files: number[]; of: number } }[];
type StreamCall = { method: 'begin' | 'append' | 'abort'; bytes?: number; last?: boolean };

/** The body's stream methods: a result at `last`, or early after `answerAfter` chunks. */
function streamApi(calls: StreamCall[], answerAfter: number | null = null) {
  let chunks = 0;
  return {
    streamBegin: async () => {
      calls.push({ method: 'begin' });
      return { handle: '1'.repeat(32) };
    },
    streamAppend: async (request: { chunk: string; last: boolean }) => {
      chunks += 1;
      calls.push({ method: 'append', bytes: Buffer.from(request.chunk, 'base64url').length, last: request.last });
      if (answerAfter !== null && chunks >= answerAfter) return { bytes: 0, result: { outcome: 'not-dicom' as const, reason: 'Neither a DICOM file nor a data set.' } };
      return request.last ? { bytes: 0, result: { outcome: 'stored' as const, seq: 9 } } : { bytes: 0 };
    },
    streamAbort: async () => {
      calls.push({ method: 'abort' });
      return {};
    },
  };
}

function fakeApi(calls: Calls, fail = false, streams: StreamCall[] = []) {
  return {
    intake: {
      uploadBegin: async () => ({ handle: '0'.repeat(32) }),
      uploadAppend: async () => ({ bytes: 0 }),
      uploadAbort: async () => ({}),
    },
    dicom: {
      importFiles: async (request: Calls[number]) => {
        calls.push(request);
        if (fail) throw new Error('No vault is open in this data folder.');
        const count = request.files?.length ?? 1;
        return { results: Array.from({ length: count }, (_, file) => ({ file, outcome: file === 0 ? ('stored' as const) : ('not-dicom' as const), ...(file === 0 ? {} : { reason: 'Neither a DICOM file nor a data set.' }) })) };
      },
      ...streamApi(streams),
    },
  } as never;
}

const file = (name: string, size = 10) => pickedBytes(name, new Uint8Array(size));

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

  it('streams a file over 16 MiB chunk by chunk, lists files not sent after Cancel, and a failed call per file', async () => {
    const calls: Calls = [];
    const streams: StreamCall[] = [];
    let cancelled = false;
    const rows = await importDicomFiles(fakeApi(calls, false, streams), [file('big.dcm', INTAKE_FILE_MAX_BYTES + 1), file('a.dcm', 5 * 1024 * 1024), file('b.dcm', 5 * 1024 * 1024)], {
      onProgress: () => (cancelled = true),
      cancelled: () => cancelled,
    });
    expect(rows.map((row) => [row.name, row.outcome])).toEqual([
      ['big.dcm', 'stored'],
      ['a.dcm', 'stored'],
      ['b.dcm', 'cancelled'],
    ]);
    // 16 MiB + 1 byte in 512 KiB chunks: 33 appends, the last one marked last, every byte sent once.
    const appends = streams.filter((call) => call.method === 'append');
    expect(streams[0]).toEqual({ method: 'begin' });
    expect(appends).toHaveLength(33);
    expect(appends.map((call) => call.last)).toEqual([...Array<boolean>(32).fill(false), true]);
    expect(appends.reduce((sum, call) => sum + call.bytes!, 0)).toBe(INTAKE_FILE_MAX_BYTES + 1);
    // The big file went by stream, not in a batch.
    expect(calls).toHaveLength(1);
    const failed = await importDicomFiles(fakeApi([], true), [file('x.dcm')]);
    expect(failed).toEqual([{ name: 'x.dcm', outcome: 'error', reason: 'No vault is open in this data folder.' }]);
  });

  it('a streamed file stops when the body answers early, and Cancel between chunks aborts it', async () => {
    const early: StreamCall[] = [];
    const api = { dicom: streamApi(early, 2) } as never;
    expect(await streamDicomFile(api, file('notes.bin', 4 * 1024 * 1024))).toEqual({ name: 'notes.bin', outcome: 'not-dicom', reason: 'Neither a DICOM file nor a data set.' });
    expect(early.filter((call) => call.method === 'append')).toHaveLength(2);

    const aborted: StreamCall[] = [];
    let chunks = 0;
    const row = await streamDicomFile({ dicom: streamApi(aborted) } as never, file('big.dcm', 4 * 1024 * 1024), () => (chunks += 1) > 3);
    expect(row).toEqual({ name: 'big.dcm', outcome: 'cancelled' });
    expect(aborted.map((call) => call.method)).toEqual(['begin', 'append', 'append', 'append', 'abort']);
  });

  it('reads a file only when its batch is sent, so a large choice is never held whole; a file that can no longer be read is said so and the rest go on', async () => {
    const events: string[] = [];
    const calls: Calls = [];
    type Request = { files?: { bytes: string }[]; upload?: string };
    const base = fakeApi(calls) as unknown as { intake: object; dicom: { importFiles: (request: Request) => Promise<unknown> } };
    const api = { ...base, dicom: { ...base.dicom, importFiles: (request: Request) => (events.push('send'), base.dicom.importFiles(request)) } } as never;
    const tracked = (name: string, size: number): PickedFile => {
      const inner = pickedBlob(name, new Blob([new Uint8Array(size)]));
      return { ...inner, read: (start, end) => (events.push(`read ${name}`), inner.read(start, end)) };
    };
    const gone: PickedFile = { ...pickedBlob('gone.dcm', new Blob([new Uint8Array(10)])), read: () => (events.push('read gone.dcm'), Promise.reject(new Error('NotReadableError'))) };
    // Three 5 MiB files: two batches (8 MiB each at most), each read just before it is sent.
    const rows = await importDicomFiles(api, [tracked('a.dcm', 5 << 20), tracked('b.dcm', 5 << 20), gone, tracked('c.dcm', 5 << 20)]);
    expect(events).toEqual(['read a.dcm', 'send', 'read b.dcm', 'read gone.dcm', 'send', 'read c.dcm', 'send']);
    expect(rows.find((row) => row.name === 'gone.dcm')).toEqual({ name: 'gone.dcm', outcome: 'error', reason: 'The file could not be read.' });
    expect(rows.filter((row) => row.outcome === 'stored').map((row) => row.name)).toEqual(['a.dcm', 'b.dcm', 'c.dcm']);
  });

  // QA-12 D6: progress sat at "0 of 300" while the first 63 files went in one call.
  it('counts files as they are done, a few at a time, not per 8 MiB batch', async () => {
    const calls: Calls = [];
    const progress: number[] = [];
    const rows = await importDicomFiles(fakeApi(calls), Array.from({ length: 20 }, (_, index) => file(`IM${index}`)), { onProgress: (done) => progress.push(done) });
    expect(rows).toHaveLength(20);
    expect(progress).toEqual([8, 16, 20]);
    expect(calls.map((call) => call.files?.length)).toEqual([8, 8, 4]);
  });

  // A CD of 11 files went in calls of at most 8, so its quarantine rows said "file 5 of 8".
  it("tells the body each file's position in the whole import and the import's size, across batches, a streamed file and a file that could not be read", async () => {
    const calls: Calls = [];
    const begun: unknown[] = [];
    const base = fakeApi(calls) as unknown as { intake: object; dicom: Record<string, (request: never) => Promise<unknown>> };
    const api = { ...base, dicom: { ...base.dicom, streamBegin: (request: never) => (begun.push(request), base.dicom.streamBegin!(request)) } } as never;
    const gone: PickedFile = { ...file('IM3'), read: () => Promise.reject(new Error('NotReadableError')) };
    const files = [file('IM1'), file('IM2'), gone, file('IM4'), file('IM5'), file('IM6', INTAKE_FILE_MAX_BYTES + 1), ...Array.from({ length: 5 }, (_, index) => file(`IM${index + 7}`))];
    const rows = await importDicomFiles(api, files);
    expect(rows).toHaveLength(11);
    expect(calls.map((call) => call.position)).toEqual([
      { files: [1, 2, 4, 5], of: 11 },
      { files: [7, 8, 9, 10, 11], of: 11 },
    ]);
    expect(begun).toEqual([{ position: { file: 6, of: 11 } }]);
  });

  it('tells the bytes of a file streamed on its own as its chunks are sealed', async () => {
    const bytes: [number, number][] = [];
    const row = await streamDicomFile({ dicom: streamApi([]) } as never, file('big.dcm', 3 * 512 * 1024 + 10), undefined, (sent, size) => bytes.push([sent, size]));
    expect(row.outcome).toBe('stored');
    const size = 3 * 512 * 1024 + 10;
    expect(bytes).toEqual([
      [0, size],
      [512 * 1024, size],
      [1024 * 1024, size],
      [1536 * 1024, size],
      [size, size],
    ]);
  });

  it('a streamed file that shrank or vanished after it was chosen is aborted with the reason', async () => {
    const streams: StreamCall[] = [];
    const shrunk: PickedFile = { name: 'big.dcm', size: 4 * 1024 * 1024, read: async (start, end) => new Uint8Array(start === 0 ? end - start : 10) };
    const row = await streamDicomFile({ dicom: streamApi(streams) } as never, shrunk);
    expect(row).toEqual({ name: 'big.dcm', outcome: 'error', reason: 'The file could not be read: it was moved, removed or locked after it was chosen.' });
    expect(streams.map((call) => call.method)).toEqual(['begin', 'append', 'abort']);
  });
});
