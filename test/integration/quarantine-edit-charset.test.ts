import { describe, expect, it } from 'vitest';
import { editDraft, encodeEdited } from '../../renderer/features/intake/hl7-edit';
import { decodeHl7 } from '../../renderer/features/intake/hl7-tree';
import { useCleanups } from '../support/cleanups';
import { startIntegrationNode } from '../support/integration-node';
import { useTempDirs } from '../support/temp-dir';

/**
 * QA round 4 (issue 11) #1: a message quarantined for its charset (ISO 8859-1 bytes, MSH-18 empty,
 * read by the listener as UTF-8) is edited in the quarantine and reprocessed. The copy the Edit
 * dialog opens with (editDraft) and the bytes it sends (encodeEdited) are the dialog's own; the
 * body and the mind are real. The patient must be filed as Größe and found by "größe", not as
 * "Gr��e" (the text box had decoded the Latin-1 bytes as UTF-8).
 */

const latin1 = (text: string): Uint8Array => Uint8Array.from([...text].map((char) => char.charCodeAt(0)));

const ADT =
  'MSH|^~\\&|QA11|CS-WARD|HDMS|NODE|20261206101500||ADT^A01|QA11-CS-EDIT|P|2.5.1\r' +
  'EVN|A01|20261206101500\r' +
  'PID|1||CS-7001^^^HOSP^MR||Größe^Wiebke||19800214|F\r' +
  'PV1|1|O\r';

describe('edit and reprocess a message quarantined for its charset', () => {
  const tempDir = useTempDirs();
  const cleanup = useCleanups();

  it('files the edited copy with the characters the operator saw: Größe, found by "größe"', { timeout: 120_000 }, async () => {
    const node = await startIntegrationNode(await tempDir(), cleanup);
    const { api, vault } = node;
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });

    const sent = await api.hl7.importFiles({ files: [{ bytes: Buffer.from(latin1(ADT)).toString('base64url') }] });
    expect(sent.results.map((result) => [result.ack, result.quarantined])).toEqual([['AR', true]]);
    await vault.sync();
    const [entry] = await vault.quarantine();
    expect(entry!.detail.reason).toMatch(/not valid UNICODE UTF-8/);

    const raw = await vault.openQuarantinedRaw(entry!.seq);
    const draft = editDraft(raw, entry!.detail.reason);
    expect(draft.text).toContain('PID|1||CS-7001^^^HOSP^MR||Größe^Wiebke||19800214|F');
    const edited = encodeEdited(draft.text.replace('PV1|1|O', 'PV1|1|I'));
    const answer = await vault.reprocessQuarantined(entry!.seq, {
      edited: edited.bytes,
      ...(edited.charset === undefined ? {} : { charset: edited.charset, charsetOverride: edited.override }),
    });
    // The copy's bytes say what they are: UTF-8 with MSH-18 UNICODE UTF-8, read alike by the raw viewer.
    expect(edited).toMatchObject({ charset: 'UNICODE UTF-8', msh18Set: true });
    expect(decodeHl7(edited.bytes).text).toContain('||UNICODE UTF-8\rEVN|A01|20261206101500\rPID|1||CS-7001^^^HOSP^MR||Größe^Wiebke||19800214|F\r');
    expect(answer.results.map((result) => result.ack)).toEqual(['AA']);
    expect(answer.resolved).toBe(true);

    const found = await vault.search('größe');
    expect(found.patientIds).toHaveLength(1);
    const [hit] = await vault.patientHits(found.patientIds);
    expect(hit!.name).toContain('Größe');
    expect(hit!.name).not.toContain('\uFFFD');
    expect((await vault.search('wiebke')).patientIds).toEqual(found.patientIds);

    // QA round 4 #8: the quarantined message's page names the copy that filed the records.
    const { resolution } = await vault.openMessage(entry!.seq);
    expect(resolution).toMatchObject({ status: 'reprocessed', heldAgainAs: [] });
    // F12: each copy names who reprocessed it (the reprocess act's operator, as the ledger's pseudonym).
    expect(resolution!.copies).toEqual([{ seq: expect.any(Number), controlId: 'QA11-CS-EDIT', edited: true, by: expect.any(String) }]);
    const copy = await vault.openMessage(resolution!.copies[0]!.seq);
    expect(copy.reprocessedBy).toBe(resolution!.copies[0]!.by);
    // The edited copy is the text the operator saw, stored as UTF-8 with MSH-18 empty: it was read
    // as UTF-8, and the stored record says so (5f687c0: the raw view opens it in that charset).
    expect(copy.message.reprocessOf).toEqual({ quarantineSeq: entry!.seq, edited: true, charset: 'UNICODE UTF-8' });
    expect(copy.patient?.name).toContain('Größe');
  });
  it('UTF-8 bytes under MSH-18 8859/1, held for it, open in the Edit dialog as UTF-8 and are filed as Müller, not "MÃ¼ller"', { timeout: 120_000 }, async () => {
    const node = await startIntegrationNode(await tempDir(), cleanup);
    const { api, vault } = node;
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });

    const mislabelled = ADT.replace('QA11-CS-EDIT|P|2.5.1', 'QA11-CS-U8|P|2.5.1||||||8859/1').replace('Größe^Wiebke', 'Müller^Jürgen');
    const sent = await api.hl7.importFiles({ files: [{ bytes: Buffer.from(mislabelled, 'utf8').toString('base64url') }] });
    expect(sent.results.map((result) => [result.ack, result.quarantined])).toEqual([['AA', true]]);
    await vault.sync();
    const [entry] = await vault.quarantine();
    expect(entry!.detail.reason).toMatch(/MSH-18 says 8859\/1, but the bytes read as UTF-8/);

    const raw = await vault.openQuarantinedRaw(entry!.seq);
    const draft = editDraft(raw, entry!.detail.reason);
    expect(draft.readAs).toBe('UNICODE UTF-8');
    expect(draft.text).toContain('PID|1||CS-7001^^^HOSP^MR||Müller^Jürgen||19800214|F');
    const edited = encodeEdited(draft.text);
    const answer = await vault.reprocessQuarantined(entry!.seq, {
      edited: edited.bytes,
      ...(edited.charset === undefined ? {} : { charset: edited.charset, charsetOverride: edited.override }),
    });
    expect(answer.results.map((result) => result.ack)).toEqual(['AA']);
    expect(answer.resolved).toBe(true);
    const found = await vault.search('müller');
    expect(found.patientIds).toHaveLength(1);
    const [hit] = await vault.patientHits(found.patientIds);
    expect(hit!.name).toContain('Müller');
    expect(hit!.name).not.toContain('Ã');
  });
});
