import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import dicomParser from 'dicom-parser';
import { createDicomNetworkIntake } from '../../electron/intake/dicom/dicom-intake';
import { startDicomServer, type DicomServer, type DicomServerEvent, type DicomServerOptions } from '../../electron/intake/dicom/dicom-server';
import { EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../../electron/intake/dicom/dicom-uids';
import { createSealer } from '../../shared/crypto/envelope';
import { IntakeMetaSchema } from '../../shared/journal/intake-meta';
import { useIntakePipelines } from '../electron/intake/intake-pipeline-support';
import { instanceElements, writePart10 } from '../electron/intake/dicom/dicom-test-support';
import { hasTool, missingToolMessage, runTool } from '../support/external-tool';

/**
 * Debian's dcmtk as the modality: `echoscu` and `storescu` against the receiver, with files the
 * test writes itself (native encodings with its own writer; JPEG lossless, JPEG-LS and RLE made
 * from them by dcmtk's `dcmcjpeg`, `dcmcjpls`, `dcmcrle`). Every instance storescu saw answered
 * Success must be in the vault once, in the transfer syntax it was sent in, its data set intact.
 */
const { setup } = useIntakePipelines(createSealer);
const silent = { info: () => undefined, warn: () => undefined };
let work = '';
let server: DicomServer | null = null;

beforeAll(async () => {
  for (const tool of ['echoscu', 'storescu', 'dcmcjpeg', 'dcmcjpls', 'dcmcrle']) if (!(await hasTool(tool))) throw new Error(missingToolMessage(tool, 'dcmtk'));
});

afterEach(async () => {
  await server?.close();
  server = null;
  if (work !== '') await rm(work, { recursive: true, force: true });
  work = '';
});

async function receiver(events: DicomServerEvent[] = [], overrides: Partial<DicomServerOptions> = {}) {
  const vault = await setup();
  const intake = createDicomNetworkIntake({ pipeline: vault.pipeline });
  server = await startDicomServer({ port: 0, aeTitle: 'HDMS', log: silent, cStore: async (request) => (await intake(request)).status, onEvent: (event) => events.push(event), closeTimeoutMs: 1000, ...overrides });
  work = await mkdtemp(path.join(os.tmpdir(), 'hdms-dicom-interop-'));
  return { ...vault, port: server.port };
}

const uid = (n: number) => `1.2.826.0.1.3680043.10.999.7.${n}`;

/** The data set of a Part 10 file: what follows its File Meta Information. */
function datasetOf(part10: Uint8Array): Buffer {
  const meta = dicomParser.readPart10Header(part10) as unknown as { position: number };
  return Buffer.from(part10.subarray(meta.position));
}

function transferSyntaxOf(part10: Uint8Array): string {
  return (dicomParser.readPart10Header(part10) as unknown as { string(tag: string): string }).string('x00020010').replace(/\0+$/, '').trim();
}

describe('interop: dcmtk echoscu / storescu → the HDMS Node DICOM receiver', () => {
  it('answers echoscu, and rejects an association to the wrong called AE title', async () => {
    const { port } = await receiver();
    const ok = await runTool('echoscu', ['-aec', 'HDMS', '-aet', 'ECHO', '127.0.0.1', String(port)]);
    expect(ok.code, ok.stderr).toBe(0);
    const wrong = await runTool('echoscu', ['-aec', 'NOTHDMS', '-aet', 'ECHO', '127.0.0.1', String(port)]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Called AE Title Not Recognized/i);
  });

  it('answers an allowed echoscu while a host on no allow-list entry floods the port (security audit finding 2)', async () => {
    const events: DicomServerEvent[] = [];
    const { port } = await receiver(events, { allowedCallers: [{ aeTitle: 'MODALITY1', address: '127.0.0.1' }] });
    // 40 connections from a second loopback address, each holding one byte of a PDU and nothing more.
    const flood = Array.from({ length: 40 }, () => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.9' }, () => socket.write(Buffer.from([0x01])));
      socket.on('error', () => undefined);
      return socket;
    });
    try {
      const refusedAll = () => events.filter((event) => event.type === 'rejected' && event.address === '127.0.0.9').length === 40;
      while (!refusedAll()) await new Promise((resolve) => setTimeout(resolve, 5));
      const ok = await runTool('echoscu', ['-aec', 'HDMS', '-aet', 'MODALITY1', '127.0.0.1', String(port)]);
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      for (const socket of flood) socket.destroy();
    }
  });

  it('stores what storescu sends in every transfer syntax, as received, over several associations at once', async () => {
    const { port, storage, opener } = await receiver();
    const files: string[] = [];
    const native = [
      [EXPLICIT_VR_LITTLE_ENDIAN, 'explicit-le'],
      [IMPLICIT_VR_LITTLE_ENDIAN, 'implicit-le'],
      [EXPLICIT_VR_BIG_ENDIAN, 'explicit-be'],
    ] as const;
    let n = 0;
    for (const [ts, name] of native) {
      const file = path.join(work, `${name}.dcm`);
      n += 1;
      const pixels = Buffer.from(Uint16Array.from({ length: 64 * 64 }, (_, i) => (i * 13) % 4096).buffer);
      await writePart10(file, instanceElements({ sopInstanceUid: uid(n), patientId: `P${n}`, patientName: `Test^Patient${n}`, pixels, rows: 64, columns: 64 }), ts);
      files.push(file);
    }
    // Compressed variants made by dcmtk from the explicit little endian seed.
    for (const [tool, args, name] of [
      ['dcmcjpeg', [], 'jpeg-lossless'],
      ['dcmcjpls', [], 'jpeg-ls'],
      ['dcmcrle', [], 'rle'],
    ] as const) {
      n += 1;
      const out = path.join(work, `${name}.dcm`);
      // A distinct SOP Instance UID per file, so each is its own instance.
      const seedN = path.join(work, `${name}-seed.dcm`);
      await writePart10(seedN, instanceElements({ sopInstanceUid: uid(n), patientId: `P${n}`, patientName: `Test^Patient${n}`, pixels: Buffer.from(Uint16Array.from({ length: 64 * 64 }, (_, i) => (i * 7) % 4096).buffer), rows: 64, columns: 64 }), EXPLICIT_VR_LITTLE_ENDIAN);
      const made = await runTool(tool, [...args, seedN, out]);
      expect(made.code, `${tool}: ${made.stderr}`).toBe(0);
      files.push(out);
    }
    // Six storescu processes at once, each its own association, each proposing its file's transfer
    // syntax first (by default storescu would convert implicit and big endian files to explicit little endian).
    const groups: [readonly string[], readonly string[]][] = [
      [[], [files[0]!]],
      [['-xi'], [files[1]!]],
      [['-xb'], [files[2]!]],
      [['-xs'], [files[3]!]],
      [['-xt'], [files[4]!]],
      [['-xr'], [files[5]!]],
    ];
    const runs = await Promise.all(groups.map(([proposal, group], i) => runTool('storescu', ['-aec', 'HDMS', '-aet', `MOD${i}`, ...proposal, '127.0.0.1', String(port), ...group], { timeoutSeconds: 60 })));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);

    const { records } = await storage.journal.read({ after: 0, limit: 100 });
    expect(records.map((record) => record.kind)).toEqual(Array(files.length).fill('intake.dicom'));
    const stored = new Map<string, { ts: string; dataset: Buffer }>();
    for (const record of records) {
      const meta = IntakeMetaSchema.parse(JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(record.meta!, 'base64url'))).plaintext)));
      const raw = (await opener.open(await storage.objects.readAll(record.objects[0]!))).plaintext;
      expect(transferSyntaxOf(raw)).toBe(meta.normalized.dicom!.transferSyntaxUid);
      stored.set(meta.normalized.dicom!.sopInstanceUid, { ts: meta.normalized.dicom!.transferSyntaxUid, dataset: datasetOf(raw) });
    }
    for (const file of files) {
      const bytes = await readFile(file);
      const sop = (dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' }) as unknown as { string(tag: string): string }).string('x00080018').trim();
      const got = stored.get(sop);
      expect(got, path.basename(file)).toBeDefined();
      expect(got!.ts, path.basename(file)).toBe(transferSyntaxOf(bytes));
      expect(got!.dataset.equals(datasetOf(bytes)), `${path.basename(file)}: data set stored as sent`).toBe(true);
    }
  });
});
