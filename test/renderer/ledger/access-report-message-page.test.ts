import { describe, expect, it } from 'vitest';
import { actionOf } from '../../../renderer/ledger/access-report';
import { summaryOf } from '../../../renderer/ledger/ledger-details';

// Tester T2 S35 F1: a message's page in the browser shows its patient and the records it filed.
describe('the access report words a message page opened in the browser', () => {
  it('as a message opened in the message browser, naming the journal record, not as the patient or a raw message', () => {
    const summary = summaryOf('ACCESS', { patientId: 'p', recordId: null, messageSeq: 44, what: 'message page', at: '2026-12-07T10:00:00.000Z' });
    expect(summary).toMatchObject({ opened: 'message page', message: 44 });
    expect(actionOf('ACCESS', summary)).toBe('Opened a message in the message browser (journal record 44)');
    // The raw message keeps its words.
    expect(actionOf('ACCESS', summaryOf('ACCESS', { patientId: 'p', recordId: null, messageSeq: 44, at: '2026-12-07T10:00:00.000Z' }))).toBe('Opened a raw message (journal record 44)');
  });
});
