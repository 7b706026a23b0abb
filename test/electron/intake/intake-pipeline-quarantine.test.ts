import { describe, expect, it } from 'vitest';
import { createBodySealer } from '../../../electron/crypto/node-sealer';
import { createMemoryDedupe } from '../../../electron/intake/hl7/hl7-duplicates';
import { createHl7Intake } from '../../../electron/intake/hl7/hl7-intake';
import { INTAKE_KINDS, type IntakeMetadataV1, type QuarantineMetadataV1 } from '../../../electron/intake/intake-pipeline';
import { checkVault } from '../../../electron/storage/vault-check';
import { IntakeQuarantineSchema, type IntakeQuarantine } from '../../../shared/domain/clinical';
import { FaultyFs } from '../storage/storage-test-support';
import { hl7, memoryLog, msh } from './hl7/hl7-test-support';
import { useIntakePipelines } from './intake-pipeline-support';

const { setup } = useIntakePipelines(createBodySealer);

const REASON: IntakeQuarantine = {
  type: 'quarantine',
  channel: 'hl7-mllp',
  disposition: 'rejected',
  reason: 'MSH-10 (message control id) is empty.',
  acks: ['AR'],
  errorCode: 101,
  errorLocation: 'MSH^1^10',
  messageType: 'ADT^A01',
  sendingApplication: 'LAB',
  sendingFacility: 'NORTH',
  version: '2.5.1',
  source: '127.0.0.1:50000',
  payloadSha256: 'a'.repeat(64),
};

describe('intake pipeline: quarantine', () => {
  it('has intake.quarantine among its kinds', () => {
    expect(INTAKE_KINDS).toContain('intake.quarantine');
  });

  it('seals the raw bytes (inline) and the reason as metadata into one intake.quarantine record, durable when it resolves', async () => {
    const { dataDir, storage, pipeline, opener, durable } = await setup();
    const raw = hl7(msh('ADT^A01', ''), 'PID|||123^^^HOSP^MR||Müller^Anna');
    const receivedAt = new Date('2026-01-15T12:34:56.789Z');
    const { seq, objectId } = await pipeline.quarantine({ kind: 'intake.quarantine', raw, quarantine: REASON, receivedAt });
    expect(seq).toBe(1);
    expect(durable).toEqual([1]);
    expect(storage.objects.isInline(objectId)).toBe(true);

    const { records } = await storage.journal.read({ after: 0, limit: 10 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ seq: 1, kind: 'intake.quarantine', operator: null, objects: [objectId] });
    const sealedRaw = await storage.objects.readAll(objectId);
    expect(Buffer.from((await opener.open(sealedRaw)).plaintext).equals(raw)).toBe(true);
    const meta = await opener.open(Buffer.from(records[0]!.meta!, 'base64url'));
    expect(meta.kind).toBe('journalMetadata');
    const parsed = JSON.parse(new TextDecoder().decode(meta.plaintext)) as QuarantineMetadataV1;
    expect(parsed).toEqual({ v: 1, channel: 'hl7-mllp', receivedAt: receivedAt.toISOString(), objectId, rawBytes: raw.length, quarantine: REASON });
    expect(IntakeQuarantineSchema.parse(parsed.quarantine)).toEqual(REASON);

    // No PHI in the files: the name is in the raw bytes, not on disk.
    expect(Buffer.from(sealedRaw).toString('utf8')).not.toContain('Müller');
    await storage.close();
    expect(await checkVault(dataDir)).toMatchObject({ journal: { records: 1, byKind: { 'intake.quarantine': 1 } }, objects: 1, inlineObjects: 1, errors: [] });
  });

  it('takes receivedAt as an ISO string, or now by default', async () => {
    const { storage, pipeline, opener } = await setup();
    const before = Date.now();
    const a = await pipeline.quarantine({ kind: 'intake.quarantine', raw: new Uint8Array([1, 2, 3]), quarantine: REASON, receivedAt: '2026-02-01T00:00:00.000Z' });
    const b = await pipeline.quarantine({ kind: 'intake.quarantine', raw: new Uint8Array(0), quarantine: { ...REASON, channel: 'hl7-file', disposition: 'held', acks: [] } });
    const { records } = await storage.journal.read({ after: 0, limit: 10 });
    const metas = await Promise.all(records.map(async (r) => JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(r.meta!, 'base64url'))).plaintext)) as QuarantineMetadataV1));
    expect(metas[0]).toMatchObject({ receivedAt: '2026-02-01T00:00:00.000Z', rawBytes: 3, objectId: a.objectId });
    expect(metas[1]).toMatchObject({ channel: 'hl7-file', rawBytes: 0, objectId: b.objectId });
    expect(Date.parse(metas[1]!.receivedAt)).toBeGreaterThanOrEqual(before - 1);
    await expect(pipeline.quarantine({ kind: 'intake.quarantine', raw: new Uint8Array(1), quarantine: REASON, receivedAt: 'yesterday' })).rejects.toThrow(RangeError);
    await storage.close();
  });

  it('refuses a reason that does not fit the schema, storing nothing', async () => {
    const { storage, pipeline } = await setup();
    const bad = [
      { ...REASON, reason: 'x'.repeat(501) },
      { ...REASON, channel: 'fax' },
      { ...REASON, extra: 'not allowed' },
      { ...REASON, acks: ['AR', 'AR', 'AR', 'AR', 'AR'] },
    ] as unknown as IntakeQuarantine[];
    for (const quarantine of bad) {
      await expect(pipeline.quarantine({ kind: 'intake.quarantine', raw: new Uint8Array(4), quarantine })).rejects.toThrow();
    }
    await expect(pipeline.quarantine({ kind: 'intake.hl7' as 'intake.quarantine', raw: new Uint8Array(4), quarantine: REASON })).rejects.toThrow(TypeError);
    expect((await storage.journal.read({ after: 0, limit: 10 })).records).toHaveLength(0);
    await storage.close();
  });

  it('writes a large raw payload as an object file before the record', async () => {
    const { dataDir, storage, pipeline, opener } = await setup();
    const raw = new Uint8Array(300 * 1024).fill(0x41);
    const { objectId } = await pipeline.quarantine({ kind: 'intake.quarantine', raw, quarantine: { ...REASON, reason: 'The message is larger than this receiver allows.', errorCode: 100 } });
    expect(storage.objects.isInline(objectId)).toBe(false);
    expect((await opener.open(await storage.objects.readAll(objectId))).plaintext.length).toBe(raw.length);
    await storage.close();
    expect(await checkVault(dataDir)).toMatchObject({ objects: 1, inlineObjects: 0, errors: [] });
  });

  it('does not resolve when the journal cannot be made durable', async () => {
    const fs = new FaultyFs();
    const { storage, pipeline } = await setup({ fs });
    fs.failDatasync = { code: 'EIO', times: 1 };
    await expect(pipeline.quarantine({ kind: 'intake.quarantine', raw: new Uint8Array(10), quarantine: REASON })).rejects.toMatchObject({ code: 'E_IO' });
    expect((await storage.journal.read({ after: 0, limit: 10 })).records).toHaveLength(0);
    await storage.close();
  });

  it("fits the HL7 intake's ports as is: accepted and rejected messages land in the vault, opening with the intake key", async () => {
    const { dataDir, storage, pipeline, opener } = await setup();
    const intake = createHl7Intake({ ingest: pipeline.ingest, quarantine: pipeline.quarantine, dedupe: createMemoryDedupe(), log: memoryLog() });
    const peer = { address: '127.0.0.1', port: 40000 };
    const good = hl7(msh('ADT^A04', 'C1'), 'PID|||12345^^^HOSP^MR||Doe^Jane||19800101|F');
    const bad = hl7(msh('ADT^A04', ''), 'PID|||12345^^^HOSP^MR||Doe^Jane');
    const noPatient = hl7(msh('ADT^A04', 'C2'), 'EVN|A04|20250301');
    const acks = [...(await intake.handleFrame(good, peer)), ...(await intake.handleFrame(bad, peer)), ...(await intake.handleFrame(noPatient, peer))].map((ack) => ack.toString('latin1'));
    expect(acks[0]).toContain('MSA|AA|C1');
    expect(acks[1]).toMatch(/MSA\|AR\|/);
    expect(acks[2]).toContain('MSA|AA|C2');
    const { records } = await storage.journal.read({ after: 0, limit: 10 });
    expect(records.map((r) => r.kind)).toEqual(['intake.hl7', 'intake.quarantine', 'intake.quarantine']);
    const metas = await Promise.all(records.map(async (r) => JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(r.meta!, 'base64url'))).plaintext)) as IntakeMetadataV1 & QuarantineMetadataV1));
    expect(metas[0]!.normalized.hl7?.ack).toBe('AA');
    expect(metas[1]!.quarantine).toMatchObject({ disposition: 'rejected', errorCode: 101, acks: ['AR'], channel: 'hl7-mllp' });
    expect(metas[2]!.quarantine).toMatchObject({ disposition: 'held', acks: ['AA'] });
    // The ACK that was sent is journaled with the message, byte for byte (the message browser shows it).
    expect(metas[0]!.normalized.hl7?.ackTexts).toEqual([acks[0]!.replace(/\r$/, '')]);
    expect(metas[1]!.quarantine.ackTexts).toEqual([acks[1]!.replace(/\r$/, '')]);
    expect(metas[2]!.quarantine.ackTexts).toEqual([acks[2]!.replace(/\r$/, '')]);
    for (const [i, raw] of [good, bad, noPatient].entries()) {
      expect(Buffer.from((await opener.open(await storage.objects.readAll(records[i]!.objects[0]!))).plaintext).equals(raw)).toBe(true);
    }
    await storage.close();
    expect(await checkVault(dataDir)).toMatchObject({ journal: { records: 3 }, errors: [] });
  });
});
