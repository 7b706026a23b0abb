import { describe, expect, it } from 'vitest';
import { filedEveryMessage, hl7ResultSentence, statusWords } from '../../../../renderer/features/intake/quarantine-panel';
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
