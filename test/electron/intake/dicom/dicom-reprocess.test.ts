import { afterEach, describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../../electron/body';
import { buildFileMetaInformation } from '../../../../electron/intake/dicom/dicom-part10';
import { IntakeMetaSchema, QuarantineMetaSchema } from '../../../../shared/journal/intake-meta';
import { useTempDirs } from '../../../support/temp-dir';
import { readLogRecords } from '../../../support/shell-page';
import { buildTestKeyring, openSealedMeta, signIn, type TestVault } from '../../../support/vault-keyring';
import { call, readJournal } from '../../vault/vault-test-support';
import { CT_IMAGE_STORAGE, instanceElements, part10File } from './dicom-test-support';

/**
 * Issue 12, the intake monitor's quarantine for DICOM: a quarantined instance is reprocessed
 * through the DICOM intake (dicom.reprocess), journaled as the operator; one that now reads is
 * stored as a normal instance, one that still fails is in quarantine again with the reason found
 * now, and the act needs a clinical session.
 */

const tempDir = useTempDirs();
const bodies: Body[] = [];
afterEach(async () => {
  for (const b of bodies.splice(0)) await b.stop('quit');
});

const UID = '1.2.826.0.1.3680043.10.999.7';
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

async function openBody(): Promise<{ b: Body; vault: TestVault }> {
  const b = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', dicomPort: 0 });
  bodies.push(b);
  const vault = await buildTestKeyring();
  await call(b, 'vault.create', { keyring: vault.keyring });
  await signIn((method, payload) => call(b, method, payload as never), vault.operatorId, vault.signingKeys.passphrase);
  return { b, vault };
}

async function sealedJson(vault: TestVault, meta: string): Promise<unknown> {
  return JSON.parse(Buffer.from(await openSealedMeta(vault.opener, meta)).toString('utf8'));
}

describe('body: reprocessing a quarantined DICOM instance', () => {
  it('stores bytes that now read as a normal instance, journals the act as the operator, and refuses a second resolution', async () => {
    const { b, vault } = await openBody();
    // A data set cut inside an element: quarantined with its bytes.
    const broken = Buffer.concat([buildFileMetaInformation({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: `${UID}.1`, transferSyntaxUid: '1.2.840.10008.1.2.1' }), Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 0xff, 0x7f])]);
    const imported = await call(b, 'dicom.importFiles', { files: [{ bytes: b64(broken) }] });
    expect(imported.results).toEqual([expect.objectContaining({ file: 0, outcome: 'quarantined' })]);
    const quarantineSeq = imported.results[0]!.seq!;

    // The bytes that now read (what a newer parser, or a resend of the whole file, gives).
    const whole = part10File(instanceElements({ sopInstanceUid: `${UID}.1`, patientId: 'MRN-R1', issuer: 'NORTHCLINIC', patientName: 'Reprocessa^Ines' }));
    const answer = await call(b, 'dicom.reprocess', { quarantineSeq, raw: b64(whole) });
    expect(answer).toMatchObject({ resolved: true, result: { outcome: 'stored', seq: expect.any(Number) } });

    const journal = await readJournal(b);
    const stored = journal.find((record) => record.seq === answer.result.seq)!;
    expect(stored.kind).toBe('intake.dicom');
    const meta = IntakeMetaSchema.parse(await sealedJson(vault, stored.meta!));
    expect(meta.normalized).toMatchObject({ channel: 'dicom', messageId: `${UID}.1`, patient: { identifiers: [{ value: 'MRN-R1', authority: 'NORTHCLINIC' }] } });
    const act = journal.find((record) => record.seq === answer.seq)!;
    expect(act).toMatchObject({ kind: 'intake.reprocessed', operator: null });
    expect(await sealedJson(vault, act.meta!)).toMatchObject({ v: 1, type: 'reprocessed', quarantineSeq, resolved: true, channel: 'dicom', result: { outcome: 'stored', seq: answer.result.seq }, operatorId: vault.operatorId });

    // Settled: neither a second reprocess nor a discard.
    await expect(call(b, 'dicom.reprocess', { quarantineSeq, raw: b64(whole) })).rejects.toMatchObject({ code: 'E_CONFLICT' });
    await expect(call(b, 'intake.discard', { quarantineSeq })).rejects.toMatchObject({ code: 'E_CONFLICT' });
    // A record that is not a quarantine record is refused.
    await expect(call(b, 'dicom.reprocess', { quarantineSeq: answer.result.seq!, raw: b64(whole) })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    expect((await readJournal(b)).filter((record) => record.kind === 'intake.dicom')).toHaveLength(1);
  });

  it('an instance that still fails with other bytes is in quarantine again as a new entry with the reason found now; the same bytes, or bytes that are not DICOM, leave the entry open', async () => {
    const { b, vault } = await openBody();
    // No Patient ID: stored in quarantine as held.
    const held = part10File(instanceElements({ sopInstanceUid: `${UID}.2` }));
    const imported = await call(b, 'dicom.importFiles', { files: [{ bytes: b64(held) }] });
    expect(imported.results).toEqual([expect.objectContaining({ outcome: 'held' })]);
    const quarantineSeq = imported.results[0]!.seq!;

    const notDicom = await call(b, 'dicom.reprocess', { quarantineSeq, raw: b64(Buffer.from('not an instance at all')) });
    expect(notDicom).toMatchObject({ resolved: false, result: { outcome: 'not-dicom' } });

    // The same bytes: found in the quarantine (this very entry), answered as before, not held twice (QA round 4 D1, as HL7).
    const same = await call(b, 'dicom.reprocess', { quarantineSeq, raw: b64(held) });
    expect(same).toMatchObject({ resolved: false, result: { outcome: 'duplicate', inQuarantine: true, reason: expect.stringMatching(/^Quarantined before.*no Patient ID/) } });
    expect((await readJournal(b)).filter((record) => record.kind === 'intake.quarantine')).toHaveLength(1);

    // Other bytes that still fail (another copy, still without Patient ID): a new entry, this one settled.
    const other = part10File(instanceElements({ sopInstanceUid: `${UID}.2`, studyDescription: 'CT HEAD AGAIN' }));
    const again = await call(b, 'dicom.reprocess', { quarantineSeq, raw: b64(other) });
    expect(again).toMatchObject({ resolved: true, result: { outcome: 'held', reason: expect.stringMatching(/no Patient ID/) } });
    const journal = await readJournal(b);
    const requarantined = journal.find((record) => record.seq === again.result.seq)!;
    expect(requarantined.kind).toBe('intake.quarantine');
    expect(requarantined.seq).toBeGreaterThan(quarantineSeq);
    const meta = QuarantineMetaSchema.parse(await sealedJson(vault, requarantined.meta!));
    expect(meta.quarantine).toMatchObject({ channel: 'dicom', disposition: 'held', reason: expect.stringMatching(/no Patient ID/), source: `reprocess of record ${quarantineSeq}` });
    const acts = await Promise.all(journal.filter((record) => record.kind === 'intake.reprocessed').map((record) => sealedJson(vault, record.meta!)));
    expect(acts).toEqual([
      expect.objectContaining({ quarantineSeq, resolved: false, result: expect.objectContaining({ outcome: 'not-dicom' }) }),
      expect.objectContaining({ quarantineSeq, resolved: false, result: expect.objectContaining({ outcome: 'duplicate', inQuarantine: true }) }),
      expect.objectContaining({ quarantineSeq, resolved: true, result: expect.objectContaining({ outcome: 'held', seq: again.result.seq }) }),
    ]);
    // The new entry is open: it can be discarded.
    await expect(call(b, 'intake.discard', { quarantineSeq: again.result.seq! })).resolves.toMatchObject({ seq: expect.any(Number) });
    expect(journal.filter((record) => record.kind === 'intake.dicom')).toHaveLength(0);
  });

  it('a discarded entry keeps its bytes known: an identical resend is answered as before and makes no new entry (as HL7)', async () => {
    const { b } = await openBody();
    const held = part10File(instanceElements({ sopInstanceUid: `${UID}.4` }));
    const first = await call(b, 'dicom.importFiles', { files: [{ bytes: b64(held) }] });
    await call(b, 'intake.discard', { quarantineSeq: first.results[0]!.seq! });
    const again = await call(b, 'dicom.importFiles', { files: [{ bytes: b64(held) }] });
    expect(again.results).toEqual([expect.objectContaining({ outcome: 'duplicate', inQuarantine: true })]);
    expect((await readJournal(b)).filter((record) => record.kind === 'intake.quarantine')).toHaveLength(1);
  });

  it('logs a DICOM entry\'s discard under the dicom component, not hl7 (QA round 4 D8b)', async () => {
    const dataDir = await tempDir();
    const b = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'info', dicomPort: 0 });
    bodies.push(b);
    const vault = await buildTestKeyring();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn((method, payload) => call(b, method, payload as never), vault.operatorId, vault.signingKeys.passphrase);
    const imported = await call(b, 'dicom.importFiles', { files: [{ bytes: b64(part10File(instanceElements({ sopInstanceUid: `${UID}.5` }))) }] });
    const quarantineSeq = imported.results[0]!.seq!;
    await call(b, 'intake.discard', { quarantineSeq, channel: 'dicom' });
    await b.stop('quit');
    bodies.splice(bodies.indexOf(b), 1);
    const discards = (await readLogRecords(dataDir)).filter((record) => record['quarantineSeq'] === quarantineSeq && /discarded/.test(record.msg ?? ''));
    expect(discards).toEqual([expect.objectContaining({ component: 'dicom', msg: 'quarantined input discarded' })]);
  });

  it('needs a clinical session: another connection without one is refused and nothing is journaled', async () => {
    const { b } = await openBody();
    const imported = await call(b, 'dicom.importFiles', { files: [{ bytes: b64(part10File(instanceElements({ sopInstanceUid: `${UID}.3` }))) }] });
    const quarantineSeq = imported.results[0]!.seq!;
    const before = (await readJournal(b)).length;
    const result = await b.router.dispatch('dicom.reprocess', { quarantineSeq, raw: b64(Buffer.from('x')) }, { transport: 'in-process', connectionId: 'no-session' });
    expect(result).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(await readJournal(b)).toHaveLength(before);
  });
});
