import { describe, expect, it } from 'vitest';
import { type Body } from '../../../electron/body';
import { buildFileMetaInformation } from '../../../electron/intake/dicom/dicom-part10';
import { openSealedMeta, type TestVault } from '../../support/vault-keyring';
import { call, readJournal } from '../vault/vault-test-support';
import { callAs, CLEO, refused, useAdaAndCleo } from '../vault/two-operators';
import { CT_IMAGE_STORAGE, instanceElements, part10File } from './dicom/dicom-test-support';

/**
 * Tester's finding 1 (audit integrity): the quarantine acts and the counters reset are journaled
 * as the operator of the calling session, never as an operator the client names. A clinician
 * (Cleo) who sends an administrator's id with a discard was recorded as that administrator, and
 * the ledger signed the act as theirs. Now the payload carries no operator (a strict contract
 * refuses one) and the body records the session's own account id in the act's sealed meta, which
 * the mind's ledger writer turns into the operator's pseudonym.
 */


const b64 = (bytes: string | Uint8Array) => Buffer.from(bytes).toString('base64url');

/** A vault whose admin (Ada) is signed in on the test connection and a clinician (Cleo) on another. */
const withAdaAndCleo = useAdaAndCleo();

/** Two quarantined HL7 inputs (not HL7 at all). */
async function quarantinedHl7(b: Body): Promise<[number, number]> {
  const imported = await call(b, 'hl7.importFiles', { files: [{ bytes: b64('not a message') }, { bytes: b64('nor this one') }] });
  expect(imported.results).toEqual([expect.objectContaining({ quarantined: true }), expect.objectContaining({ quarantined: true })]);
  const seqs = (await readJournal(b)).filter((record) => record.kind === 'intake.quarantine').map((record) => record.seq);
  expect(seqs).toHaveLength(2);
  return [seqs[0]!, seqs[1]!];
}

async function act(b: Body, vault: TestVault, seq: number): Promise<{ operator: string | null; meta: Record<string, unknown> }> {
  const record = (await readJournal(b)).find((r) => r.seq === seq)!;
  return { operator: record.operator, meta: JSON.parse(Buffer.from(await openSealedMeta(vault.opener, record.meta!)).toString('utf8')) as Record<string, unknown> };
}

/** The act names the caller (Cleo) by account id in its sealed meta, and nobody else anywhere. */
function expectActOf(recorded: { operator: string | null; meta: Record<string, unknown> }, operatorId: string, other: string): void {
  expect(recorded.meta['operatorId']).toBe(operatorId);
  expect(recorded.operator).toBeNull();
  expect(JSON.stringify(recorded)).not.toContain(other);
}

describe('body: quarantine acts are journaled as the calling session\'s operator (tester finding 1)', () => {
  it('intake.discard: a clinician naming the administrator is refused; their own discard records them', async () => {
    const { b, vault, cleo } = await withAdaAndCleo();
    const [seq] = await quarantinedHl7(b);
    const forged = await refused(callAs(b, CLEO, 'intake.discard', { quarantineSeq: seq, operator: vault.operatorId, channel: 'hl7' } as never));
    expect(forged.code).toBe('E_BAD_REQUEST');
    expect(forged.message).toContain('unrecognized_keys');
    const { seq: discarded } = await callAs(b, CLEO, 'intake.discard', { quarantineSeq: seq, channel: 'hl7' });
    expectActOf(await act(b, vault, discarded), cleo, vault.operatorId);
  });

  it('hl7.reprocess: a clinician naming the administrator is refused; their own reprocess records them', async () => {
    const { b, vault, cleo } = await withAdaAndCleo();
    const [seq] = await quarantinedHl7(b);
    const forged = await refused(callAs(b, CLEO, 'hl7.reprocess', { quarantineSeq: seq, operator: vault.operatorId, raw: b64('not a message') } as never));
    expect(forged.code).toBe('E_BAD_REQUEST');
    const reprocessed = await callAs(b, CLEO, 'hl7.reprocess', { quarantineSeq: seq, raw: b64('not a message') });
    expectActOf(await act(b, vault, reprocessed.seq), cleo, vault.operatorId);
  });

  it('hl7.resetCounters: an operator named in the payload is refused; the reset records the administrator who asked', async () => {
    const { b, vault, cleo } = await withAdaAndCleo();
    const forged = await refused(call(b, 'hl7.resetCounters', { operator: cleo } as never));
    expect(forged.code).toBe('E_BAD_REQUEST');
    const reset = await call(b, 'hl7.resetCounters', {});
    expectActOf(await act(b, vault, reset.seq), vault.operatorId, cleo);
  });

  it('dicom.resetCounters: a clinician is refused, an operator named in the payload is refused; the reset records the administrator', async () => {
    const { b, vault, cleo } = await withAdaAndCleo();
    const byClinician = await refused(callAs(b, CLEO, 'dicom.resetCounters', {}));
    expect(byClinician.code).toBe('E_FORBIDDEN');
    const forged = await refused(call(b, 'dicom.resetCounters', { operator: cleo } as never));
    expect(forged.code).toBe('E_BAD_REQUEST');
    const reset = await call(b, 'dicom.resetCounters', {});
    expectActOf(await act(b, vault, reset.seq), vault.operatorId, cleo);
  });

  it('dicom.reprocess and a streamed reprocess: an operator in the payload is refused; the act records the clinician', async () => {
    const { b, vault, cleo } = await withAdaAndCleo();
    const broken = Buffer.concat([
      buildFileMetaInformation({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.826.0.1.3680043.10.999.31.1', transferSyntaxUid: '1.2.840.10008.1.2.1' }),
      Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 0xff, 0x7f]),
    ]);
    const imported = await call(b, 'dicom.importFiles', { files: [{ bytes: b64(broken) }, { bytes: b64(broken.subarray(0, broken.length - 1)) }] });
    const [first, second] = imported.results.map((result) => result.seq!);
    const whole = part10File(instanceElements({ sopInstanceUid: '1.2.826.0.1.3680043.10.999.31.1', patientId: 'MRN-A31', issuer: 'NORTHCLINIC', patientName: 'Actor^Test' }));

    expect((await refused(callAs(b, CLEO, 'dicom.reprocess', { quarantineSeq: first!, operator: vault.operatorId, raw: b64(whole) } as never))).code).toBe('E_BAD_REQUEST');
    const answer = await callAs(b, CLEO, 'dicom.reprocess', { quarantineSeq: first!, raw: b64(whole) });
    expectActOf(await act(b, vault, answer.seq), cleo, vault.operatorId);

    expect((await refused(callAs(b, CLEO, 'dicom.streamBegin', { reprocess: { quarantineSeq: second!, operator: vault.operatorId } } as never))).code).toBe('E_BAD_REQUEST');
    const { handle } = await callAs(b, CLEO, 'dicom.streamBegin', { reprocess: { quarantineSeq: second! } });
    const streamed = await callAs(b, CLEO, 'dicom.streamAppend', { handle, chunk: b64(whole), last: true });
    expect(streamed.reprocessed).toBeDefined();
    expectActOf(await act(b, vault, streamed.reprocessed!.seq), cleo, vault.operatorId);
  });
});
