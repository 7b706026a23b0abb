import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { renderToStaticMarkup } from 'react-dom/server';
import { QuarantinePanel, actDialogWords, answerWords, bulkText, reasonWords, reprocessable, stillQuarantinedWhy, dicomResultText, filedEveryMessage, hl7ResultSentence, senderOf, statusWords } from '../../../../renderer/features/intake/quarantine-panel';
import { MessageCells, WholeWords } from '../../../../renderer/features/intake/message-parts';
import type { QuarantineEntry } from '../../../../renderer/vault/vault-service';
import type { IntakeMessageResult } from '../../../../shared/ipc/intake-contract';

const filed: IntakeMessageResult = { file: 0, index: 0, messageType: 'ORU^R01', controlId: 'W-9', ack: 'AA' };
const heldAgain: IntakeMessageResult = { ...filed, quarantined: true, reason: 'The message has no PID segment.' };
const answeredAsBefore: IntakeMessageResult = { ...filed, quarantined: true, duplicate: true };

describe('HL7 reprocess outcome in words', () => {
  it('QA2-11 Q2: a run held again as a new entry settles this one, and does not say every message was stored', () => {
    expect(filedEveryMessage(true, [heldAgain])).toBe(false);
    expect(hl7ResultSentence(true, [heldAgain])).toBe('Reprocessed, but held in quarantine again as a new entry: this entry is marked reprocessed; fix or discard the new one.');
  });

  it('filed, answered as before, nothing found', () => {
    expect(filedEveryMessage(true, [filed])).toBe(true);
    expect(hl7ResultSentence(true, [filed])).toBe('Reprocessed: every message was stored.');
    expect(hl7ResultSentence(false, [answeredAsBefore])).toBe('Reprocessed, but not every message was stored: the entry stays in quarantine.');
    expect(hl7ResultSentence(false, [])).toBe('Reprocessed: no message was found in the bytes. The entry stays in quarantine.');
  });
});

describe('quarantine status words', () => {
  it('QA2-11 Q2: an entry reprocessed and held again names the entry that holds the message now', () => {
    expect(statusWords({ status: 'reprocessed', heldAgainAs: [42] })).toBe('Reprocessed, held again as entry 42');
    expect(statusWords({ status: 'reprocessed', heldAgainAs: [42, 43] })).toBe('Reprocessed, held again as entries 42, 43');
    expect(statusWords({ status: 'reprocessed' })).toBe('Reprocessed');
    expect(statusWords({ status: 'open' })).toBe('Open');
  });
});

describe('quarantine dialogs in the words of the channel (QA round 4 D8b)', () => {
  const entry = (channel: QuarantineEntry['channel'], messageId?: string) => ({ channel, detail: { ...(messageId === undefined ? {} : { messageId }), source: 'CT_EAST@10.0.0.7' } }) as unknown as QuarantineEntry;
  const instance = entry('dicom', '1.2.826.0.1.3680043.10.999.81.1');

  it('a DICOM instance is an instance, not a message: its title, what a reprocess does, the button', () => {
    const reprocess = actDialogWords('reprocess', [instance]);
    expect(reprocess.title).toBe('Reprocess instance 1.2.826.0.1.3680043.10.999.81.1?');
    expect(reprocess.body).toBe('The stored instance is sent through the DICOM intake again, as an import of its bytes. The journal records the reprocess.');
    expect(reprocess.submit).toBe('Reprocess instance');
    const discard = actDialogWords('discard', [instance]);
    expect(discard.title).toBe('Discard instance 1.2.826.0.1.3680043.10.999.81.1?');
    expect(discard.body).toMatch(/^The instance is marked discarded/);
    expect(discard.submit).toBe('Discard instance');
    expect(discard.done).toBe('The quarantined instance 1.2.826.0.1.3680043.10.999.81.1 was discarded.');
    expect(JSON.stringify([reprocess, discard])).not.toMatch(/message/);
  });

  it('bytes that name no instance are a file; devices a report; HL7 stays a message; a mixed choice is entries', () => {
    expect(actDialogWords('reprocess', [entry('dicom')]).title).toBe('Reprocess file from CT_EAST@10.0.0.7?');
    expect(actDialogWords('reprocess', [entry('dicom')]).body).toMatch(/^The stored file is sent through the DICOM intake again/);
    expect(actDialogWords('discard', [entry('devices')]).submit).toBe('Discard report');
    expect(actDialogWords('reprocess', [entry('hl7-mllp', 'W-9')])).toMatchObject({ title: 'Reprocess message W-9?', submit: 'Reprocess message', body: expect.stringMatching(/^The raw message is sent through the intake again/) });
    expect(actDialogWords('discard', [instance, instance])).toMatchObject({ title: 'Discard 2 instances?', submit: 'Discard 2 instances', body: expect.stringMatching(/^The instances are marked discarded/) });
    expect(actDialogWords('reprocess', [instance, entry('hl7-file', 'W-9')])).toMatchObject({ title: 'Reprocess 2 entries?', submit: 'Reprocess 2 entries', body: expect.stringMatching(/^Each entry is sent through its intake again/) });
  });

  it('a DICOM reprocess whose bytes are in the quarantine already says so, and that the entry stays', () => {
    expect(dicomResultText({ outcome: 'duplicate', inQuarantine: true, reason: 'Quarantined before (an identical copy came earlier; not stored again). The instance has no Patient ID (0010,0020): stored, not filed under a patient.' })).toBe(
      'Reprocessed, but the same bytes are in the quarantine already (this entry or another), so nothing was stored: the entry stays in quarantine. The instance has no Patient ID (0010,0020): stored, not filed under a patient.',
    );
    expect(dicomResultText({ outcome: 'duplicate' })).toBe('Reprocessed: the same instance was stored before; nothing was stored again.');
  });

  it("a DICOM reprocess that stores an instance with a note (an unknown character set, 6acf1c3) says the note too", () => {
    const note = 'Character set ISO_IR 999 (0008,0005) is not known: names and text are shown as read with Latin-1 and may be wrong.';
    expect(dicomResultText({ outcome: 'stored', reason: note })).toBe(`Reprocessed: the instance was stored. ${note}`);
    expect(dicomResultText({ outcome: 'conflict', reason: note })).toBe(
      `Reprocessed: the instance was stored, flagged as a conflict with an earlier copy of the same SOP Instance UID. ${note}`,
    );
    expect(dicomResultText({ outcome: 'stored' })).toBe('Reprocessed: the instance was stored.');
  });
});

describe('issue 11/12 tester: DICOM rows of the quarantine', () => {
  const dicom = (disposition: 'rejected' | 'held', source: string) =>
    ({ channel: 'dicom', detail: { type: 'quarantine', channel: 'dicom', disposition, reason: 'r', acks: [], source, messageType: 'DICOM', messageId: '1.2.3' } }) as unknown as QuarantineEntry;

  it('H6 #1: a held instance (no Patient ID) is not offered a Reprocess, which cannot file the same bytes; its reason says what can', () => {
    expect(reprocessable(dicom('held', 'CT_EAST@10.0.0.7'))).toBe(false);
    expect(reprocessable(dicom('rejected', 'CT_EAST@10.0.0.7'))).toBe(true);
    expect(reprocessable({ channel: 'hl7-mllp', detail: { disposition: 'held' } } as unknown as QuarantineEntry)).toBe(true);
    // An entry held before the reason said it: the hint is added once.
    const old = { channel: 'dicom', detail: { disposition: 'held', reason: 'The instance has no Patient ID (0010,0020): stored, not filed under a patient.' } } as unknown as QuarantineEntry;
    const hint = 'It must be sent or imported again with a Patient ID; reprocessing the same bytes cannot file it.';
    expect(reasonWords(old)).toBe(`The instance has no Patient ID (0010,0020): stored, not filed under a patient. ${hint}`);
    const now = { ...old, detail: { ...old.detail, reason: `The instance has no Patient ID (0010,0020): stored, not filed under a patient. ${hint}` } } as QuarantineEntry;
    expect(reasonWords(now)).toBe(now.detail.reason);
    expect(reasonWords(dicom('rejected', 'CT_EAST@10.0.0.7'))).toBe('r');
    const html = renderToStaticMarkup(<QuarantinePanel entries={[{ ...old, seq: 7, at: '2026-01-01T00:00:00.000Z', status: 'open', objectId: 'o7', detail: { ...old.detail, messageId: '1.2.3' } } as unknown as QuarantineEntry]} onChanged={() => {}} />);
    expect(html).not.toContain('aria-label="Reprocess instance 7"');
    expect(html).toContain('aria-label="Discard instance 7"');
    expect(html).toContain('reprocessing the same bytes cannot file it');
  });

  it('T1 F11: a file from an import is named by its place in the import, not "from file 10 of 10"', () => {
    const file = { channel: 'dicom', detail: { source: 'file 10 of 10' } } as unknown as QuarantineEntry;
    expect(actDialogWords('discard', [file])).toMatchObject({ title: 'Discard file 10 of 10 from an import?', done: 'The quarantined file 10 of 10 from an import was discarded.' });
  });

  it('#1: the answer column says the DIMSE status a C-STORE got, or that an import got none; never HL7 wording', () => {
    expect(answerWords(dicom('rejected', 'CT_EAST@10.0.0.7'))).toEqual({ code: 'C000', meaning: 'DIMSE Cannot understand' });
    expect(answerWords(dicom('held', 'CT_EAST@10.0.0.7'))).toEqual({ code: '0000', meaning: 'DIMSE Success: held' });
    expect(answerWords(dicom('rejected', 'file 2 of 3'))).toEqual({ code: '—', meaning: 'no answer: imported from a file' });
    expect(answerWords(dicom('held', 'reprocess of record 12'))).toEqual({ code: '—', meaning: 'no answer: reprocessed' });
    expect(answerWords(dicom('rejected', 'a large file imported'))).toEqual({ code: '—', meaning: 'no answer: imported from a file' });
    expect(answerWords(dicom('rejected', 'a file imported'))).toEqual({ code: '—', meaning: 'no answer: imported from a file' });
    const device = { channel: 'devices', detail: { type: 'quarantine', channel: 'devices', disposition: 'rejected', reason: 'r', acks: [], source: 'link' } } as unknown as QuarantineEntry;
    expect(answerWords(device)).toEqual({ code: '—', meaning: 'not HL7: no ACK' });
    const hl7 = { channel: 'hl7-mllp', detail: { type: 'quarantine', channel: 'hl7-mllp', disposition: 'rejected', reason: 'r', acks: ['AR'] } } as unknown as QuarantineEntry;
    expect(answerWords(hl7)).toBeNull();
  });

  it('#3: a DICOM tag in a reason is never broken inside ("(7FE0,001 0)" at 1,000 px)', () => {
    const html = renderToStaticMarkup(<WholeWords text="The data set ends inside Pixel Data (7FE0,0010): cut at (0010,0020)." />);
    expect(html).toContain('<span class="whole-word">(7FE0,0010):</span>');
    expect(html).toContain('<span class="whole-word">(0010,0020).</span>');
  });
});

describe('the sender of an HL7 message whose header names none (QA s34 D4)', () => {
  it('is the label the counters and the message browser use, not the peer with its port', () => {
    const entry = (channel: QuarantineEntry['channel'], detail: Record<string, string>) => ({ channel, detail }) as unknown as QuarantineEntry;
    expect(senderOf(entry('hl7-mllp', { source: '127.0.0.1:50412' }))).toBe('No readable sender (from 127.0.0.1)');
    expect(senderOf(entry('hl7-mllp', { sendingApplication: '', sendingFacility: '', source: '127.0.0.1:50413' }))).toBe('No readable sender (from 127.0.0.1)');
    expect(senderOf(entry('hl7-mllp', { sendingApplication: 'LAB', sendingFacility: 'NORTH', source: '127.0.0.1:50413' }))).toBe('LAB | NORTH');
    // A DICOM instance keeps its calling AE and address.
    expect(senderOf(entry('dicom', { source: 'CT_EAST@10.0.0.7' }))).toBe('CT_EAST@10.0.0.7');
  });
});

describe('T1 F10: the answer of a DICOM entry in the ACK column', () => {
  it('shows its meaning as text under the code, not only to screen readers', () => {
    const markup = renderToStaticMarkup(
      <table>
        <tbody>
          <tr>
            <MessageCells message={{ messageType: 'DICOM', controlId: '1.2.3', acks: [] }} answer={{ code: '0000', meaning: 'DIMSE Success: held' }} />
          </tr>
        </tbody>
      </table>,
    );
    expect(markup).toContain('<span class="other-answer__meaning">DIMSE Success: held</span>');
    expect(markup).not.toContain('visually-hidden');
  });
});

describe('H8 F14: handled entries leave the working list', () => {
  const entry = (seq: number, status: QuarantineEntry['status'], messageId: string) =>
    ({ seq, at: '2026-12-07T15:56:23Z', channel: 'hl7-mllp', objectId: 'o', rawBytes: 10, status, detail: { type: 'quarantine', channel: 'hl7-mllp', disposition: 'rejected', reason: 'MSH-9 (message type) is empty.', acks: ['AR'], messageId } }) as unknown as QuarantineEntry;

  it('hides reprocessed entries by default, like discarded ones, and offers to show them', () => {
    const html = renderToStaticMarkup(<QuarantinePanel entries={[entry(1, 'open', 'OPEN-1'), entry(2, 'reprocessed', 'DONE-2'), entry(3, 'discarded', 'GONE-3')]} onChanged={() => {}} />);
    expect(html).toContain('OPEN-1');
    expect(html).not.toContain('DONE-2');
    expect(html).not.toContain('GONE-3');
    expect(html).toContain('Show reprocessed entries (1)');
    expect(html).toContain('Show discarded entries (1)');
  });

  it('the space after a whole word does not collapse when the reason is hovered (the unclamped reason is laid out as a block)', () => {
    const css = readFileSync(new URL('../../../../renderer/styles/intake.css', import.meta.url), 'utf8');
    const hover = /\.quarantine__reason:hover \.quarantine__reason-text,\s*\.quarantine__reason-text:focus\s*\{([^}]*)\}/.exec(css);
    expect(hover?.[1]).toMatch(/display:\s*block/);
  });
});

describe('H8 F13: a bulk reprocess names what stayed in quarantine, and why', () => {
  it('names each entry still in quarantine with its reason, a duplicate as a duplicate', () => {
    const duplicate: IntakeMessageResult = { ...filed, controlId: 'NOPID-1', ack: 'AR', quarantined: true, duplicate: true, reason: 'The PID segment has no patient identifier.' };
    expect(stillQuarantinedWhy({ resolved: false, results: [duplicate] })).toBe(
      'a duplicate of a message received before, answered as before and not stored again (The PID segment has no patient identifier.)',
    );
    expect(stillQuarantinedWhy({ resolved: true, results: [heldAgain] })).toBe('held again as a new entry: The message has no PID segment.');
    expect(stillQuarantinedWhy({ resolved: false, results: [] })).toBe('no message was found in the bytes');
    const html = renderToStaticMarkup(
      <>
        {bulkText('reprocess', [
          { name: 'CHARSET-2', resolved: true },
          { name: 'NOPID-1', resolved: false, why: 'the reason' },
        ])}
      </>,
    );
    expect(html).toContain('2 of 2 reprocessed: 1 stored, 1 still in quarantine.');
    expect(html).toContain('<li>NOPID-1 is still in quarantine: the reason</li>');
    expect(html).not.toContain('CHARSET-2');
  });
});
