import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBodySealer } from '../../../../electron/crypto/node-sealer';
import { prepareHl7Frame, type PreparedFrame, type PreparedMessage } from '../../../../electron/intake/hl7/hl7-prepare';
import type { SealedIntakeRecord } from '../../../../electron/intake/intake-pipeline';
import type { Sealer } from '../../../../shared/crypto/envelope';
import { fromBase64Url } from '../../../../shared/crypto/bytes';
import { buildTestKeyring, type TestVault } from '../../../support/vault-keyring';
import { fixture, hl7, makeIntake, msh, segment } from './hl7-test-support';

const peer = { address: '127.0.0.1', port: 40000 };
const AT = new Date('2026-03-01T08:15:00.000Z');
let vault: TestVault;
let sealer: Sealer;

beforeAll(async () => {
  vault = await buildTestKeyring();
  sealer = await createBodySealer(fromBase64Url(vault.keyring.intakePublicKey));
});

function prepare(frame: Buffer, extra: { maxMessageBytes?: number } = {}): Promise<PreparedFrame> {
  return prepareHl7Frame(sealer, { frame, receivedAt: AT.getTime(), maxMessageBytes: extra.maxMessageBytes ?? 16 * 1024 * 1024 });
}

function prepared(frame: PreparedFrame): PreparedMessage {
  if (frame.kind !== 'prepared') throw new Error(`expected a prepared frame, got ${frame.kind === 'in-thread' ? `in-thread (${frame.reason})` : frame.kind}`);
  return frame.message;
}

async function opened(record: SealedIntakeRecord): Promise<{ raw: Buffer; meta: Record<string, unknown> }> {
  const raw = Buffer.from((await vault.opener.open(record.inline)).plaintext);
  const meta = JSON.parse(Buffer.from((await vault.opener.open(record.meta)).plaintext).toString('utf8')) as Record<string, unknown>;
  return { raw, meta };
}

describe('HL7 prepare (the worker-thread half of intake)', () => {
  it('seals the raw bytes and the same metadata the listener-thread path stores, with the planned ACK', async () => {
    const bytes = fixture('oru_lab.hl7');
    const message = prepared(await prepare(bytes));
    expect(message.summary).toEqual({ sendingApplication: expect.any(String), sendingFacility: expect.any(String), controlId: 'LAB-0001', messageType: 'ORU^R01' });
    expect(message.codes).toEqual(['AA']);
    expect(segment(message.ackTexts[0]!, 'MSA')).toEqual(['MSA', 'AA', 'LAB-0001']);
    expect(message.sealed.kind).toBe('intake.hl7');
    expect(message.sealed.objectId).toBe(createHash('sha256').update(message.sealed.inline).digest('hex'));
    const { raw, meta } = await opened(message.sealed);
    expect(raw.equals(bytes)).toBe(true);

    // The same message through the full path on this thread: identical normalized record.
    const { intake, pipeline } = makeIntake({ now: () => AT });
    await intake.handleFrame(bytes, peer);
    // The ACK texts journaled are the ones this path planned and sends (each path builds its own: a fresh control id and time).
    const { ackTexts, ...hl7 } = (meta as { normalized: { hl7: { ackTexts: string[] } } }).normalized.hl7;
    expect(ackTexts).toEqual(message.ackTexts);
    const listener = pipeline.ingested[0]!.normalized;
    expect(listener.hl7?.ackTexts).toHaveLength(1);
    const { ackTexts: _listenerAcks, ...listenerHl7 } = listener.hl7!;
    expect(hl7).toEqual(listenerHl7);
    expect(meta).toEqual({ v: 1, channel: 'hl7-mllp', receivedAt: AT.toISOString(), rawBytes: bytes.length, normalized: { ...listener, hl7: { ...listenerHl7, ackTexts } } });
    expect(message.mapping).toBe('mapped');
  });

  it('enhanced mode: plans CA then AA', async () => {
    const message = prepared(await prepare(fixture('adt_enhanced_al_al.hl7')));
    expect(message.codes).toEqual(['CA', 'AA']);
    expect(message.ackTexts.map((text) => segment(text, 'MSA')[1])).toEqual(['CA', 'AA']);
  });

  it.each([
    ['batch_two.hl7', 'batch'],
    ['multi_two.hl7', 'batch'],
    ['oru_no_ctrl_id.hl7', 'rejected'],
    ['not_hl7.txt', 'rejected'],
    ['mfn_no_pid.hl7', 'no-patient'],
  ])('leaves %s to the listener thread (%s)', async (name, reason) => {
    expect(await prepare(fixture(name))).toEqual({ kind: 'in-thread', reason });
  });

  // Tester T2 D5: UTF-8 bytes under MSH-18 8859/1 are held in the quarantine, which only the listener thread writes.
  it('leaves a message whose bytes read as UTF-8 under a single-byte MSH-18 to the listener thread (charset)', async () => {
    const mislabelled = hl7(msh('ADT^A08', 'C-1', '||||||8859/1'), 'PID|1||MRN1^^^CLINIC^MR||Müller^Heike');
    expect(await prepare(mislabelled)).toEqual({ kind: 'in-thread', reason: 'charset' });
    expect(prepared(await prepare(Buffer.from(mislabelled.toString('utf8'), 'latin1'))).summary.controlId).toBe('C-1');
  });

  it('leaves a message over the size cap to the listener thread', async () => {
    expect(await prepare(fixture('adt_a04.hl7'), { maxMessageBytes: 50 })).toEqual({ kind: 'in-thread', reason: 'too-large' });
  });

  it('maps a message too large to travel inline in its journal record, for the listener thread to seal and store without parsing it', async () => {
    const big = hl7(msh('ORU^R01', 'BIG-1'), 'PID|1||MRN1^^^CLINIC^MR||Doe^Jane', `OBX|1|TX|TEXT^Text||${'x'.repeat(70 * 1024)}||||||F`);
    const prepared = await prepare(big);
    if (prepared.kind !== 'mapped') throw new Error(`expected mapped, got ${prepared.kind}`);
    expect(prepared.message.summary.controlId).toBe('BIG-1');
    expect(prepared.message.normalized.patient.identifiers[0]?.value).toBe('MRN1');
    expect(prepared.message.codes).toEqual(['AA']);
  });
});

/** An offload running prepareHl7Frame on this thread, recording what is committed. */
function offload(options: { failPrepare?: boolean; failCommit?: number } = {}) {
  const committed: SealedIntakeRecord[] = [];
  const state = { failCommit: options.failCommit ?? 0, prepares: 0 };
  return {
    committed,
    state,
    offload: {
      prepare: async (request: Parameters<typeof prepareHl7Frame>[1]) => {
        state.prepares++;
        if (options.failPrepare === true) throw new Error('worker gone');
        return prepareHl7Frame(sealer, request);
      },
      commit: async (record: SealedIntakeRecord) => {
        if (state.failCommit > 0) {
          state.failCommit--;
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        committed.push(record);
        return { seq: committed.length, objectId: record.objectId };
      },
    },
  };
}

describe('HL7 intake with an offload (frames prepared off the listener thread)', () => {
  it('commits a new message as prepared, and answers an identical resend as before without storing it again', async () => {
    const off = offload();
    const { intake, pipeline } = makeIntake({ offload: off.offload });
    const bytes = fixture('adt_a04.hl7');
    const [first] = await intake.handleFrame(bytes, peer);
    expect(off.committed).toHaveLength(1);
    expect(pipeline.ingested).toHaveLength(0);
    const [again] = await intake.handleFrame(bytes, peer);
    expect(segment(again!, 'MSA')).toEqual(segment(first!, 'MSA'));
    expect(off.committed).toHaveLength(1);
    expect(pipeline.ingested).toHaveLength(0);
    expect(intake.stats().totals).toMatchObject({ received: 2, accepted: 1, duplicates: 1 });
    expect(intake.stats().recent[1]).toMatchObject({ channel: 'hl7-mllp', controlId: segment(first!, 'MSA')[2], acks: 'AA' });
  });

  it('a conflict (same key, other content) takes the full path and is stored flagged', async () => {
    const off = offload();
    const { intake, pipeline } = makeIntake({ offload: off.offload });
    await intake.handleFrame(fixture('dup_a.hl7'), peer);
    const [ack] = await intake.handleFrame(fixture('dup_b_conflict.hl7'), peer);
    expect(segment(ack!, 'MSA')[1]).toBe('AA');
    expect(off.committed).toHaveLength(1);
    expect(pipeline.ingested).toHaveLength(1);
    expect(pipeline.ingested[0]!.normalized.hl7).toMatchObject({ conflict: true });
    expect(intake.stats().totals.conflicts).toBe(1);
  });

  it('a rejected frame is quarantined and answered AR by the full path', async () => {
    const off = offload();
    const { intake, pipeline } = makeIntake({ offload: off.offload });
    const [ack] = await intake.handleFrame(fixture('oru_no_ctrl_id.hl7'), peer);
    expect(segment(ack!, 'MSA')[1]).toBe('AR');
    expect(pipeline.quarantined).toHaveLength(1);
    expect(off.committed).toHaveLength(0);
  });

  it('when the offload fails, the listener thread stores the message itself', async () => {
    const off = offload({ failPrepare: true });
    const { intake, pipeline, log } = makeIntake({ offload: off.offload });
    const [ack] = await intake.handleFrame(fixture('adt_a04.hl7'), peer);
    expect(segment(ack!, 'MSA')[1]).toBe('AA');
    expect(pipeline.ingested).toHaveLength(1);
    expect(log.lines.some((line) => line.level === 'warn' && /worker failed/.test(line.message))).toBe(true);
  });

  it('a failed commit is answered AE and not remembered, so the resend is stored', async () => {
    const off = offload({ failCommit: 1 });
    const { intake } = makeIntake({ offload: off.offload });
    const bytes = fixture('adt_a04.hl7');
    const [failed] = await intake.handleFrame(bytes, peer);
    expect(segment(failed!, 'MSA')[1]).toBe('AE');
    expect(segment(failed!, 'MSA')[2]).toBe(segment(fixture('adt_a04.hl7').toString('latin1').split('\r')[0]!, 'MSH')[9]);
    const [stored] = await intake.handleFrame(bytes, peer);
    expect(segment(stored!, 'MSA')[1]).toBe('AA');
    expect(off.committed).toHaveLength(1);
    expect(intake.stats().totals).toMatchObject({ received: 2, accepted: 1, errored: 1, duplicates: 0 });
  });

  it('two identical frames at once on two connections: stored once, both answered AA', async () => {
    const off = offload();
    const { intake, pipeline } = makeIntake({ offload: off.offload });
    const bytes = fixture('oru_vitals.hl7');
    const acks = await Promise.all([intake.handleFrame(bytes, peer), intake.handleFrame(bytes, { address: '127.0.0.1', port: 40001 })]);
    expect(acks.map(([ack]) => segment(ack!, 'MSA')[1])).toEqual(['AA', 'AA']);
    expect(off.committed.length + pipeline.ingested.length).toBe(1);
    expect(intake.stats().totals).toMatchObject({ received: 2, accepted: 1, duplicates: 1 });
  });
});
