import { describe, expect, it } from 'vitest';
import { senderLabel } from '../../../shared/hl7/sender-label';
import { senderName } from '../../../renderer/vault/views/message-log';
import { createHl7Intake } from '../../../electron/intake/hl7/hl7-intake';

// QA s34 D4: a message whose header names no sender (a non-MSH first segment, or `^` as field
// separator so MSH-3/MSH-4 cannot be read) was "peer 127.0.0.1" in the counters, "|" or "unknown"
// in the message browser, "Unknown (no readable header)" on its page and "127.0.0.1:50412" in the
// quarantine. One label everywhere, the peer's address without its port.
describe('the label of a sender whose header names none (QA s34 D4)', () => {
  it('is MSH-3|MSH-4 when either is there, else "No readable sender (from <address>)"', () => {
    expect(senderLabel('LAB', 'NORTH', '127.0.0.1:50412')).toBe('LAB|NORTH');
    expect(senderLabel('LAB', '', '127.0.0.1:50412')).toBe('LAB|');
    expect(senderLabel('', '', '127.0.0.1:50412')).toBe('No readable sender (from 127.0.0.1)');
    expect(senderLabel(undefined, undefined, '127.0.0.1:50413')).toBe('No readable sender (from 127.0.0.1)');
    expect(senderLabel(undefined, undefined, '::1:2575')).toBe('No readable sender (from ::1)');
    expect(senderLabel(undefined, undefined, 'file 3 of 40')).toBe('No readable sender (from file 3 of 40)');
    expect(senderLabel(undefined, undefined, undefined)).toBe('No readable sender');
  });

  it('is what the browser and the counters call it', async () => {
    expect(senderName(undefined, undefined, '127.0.0.1:50412')).toBe('No readable sender (from 127.0.0.1)');
    const dedupe = { tag: () => ({ key: 'k', payload: 'p' }), isNew: () => true, check: async () => ({ status: 'new' as const }), store: async <T>(_t: unknown, _a: unknown, append: (tag: string) => Promise<T>) => append('t') };
    const intake = createHl7Intake({
      ingest: async () => ({ seq: 1, objectId: 'o' }) as never,
      quarantine: async () => ({ seq: 2, objectId: 'o' }) as never,
      dedupe: dedupe as never,
      log: { info() {}, warn() {}, error() {} } as never,
    });
    await intake.handleFrame(Buffer.from('MSX|^~\\&|LAB|NORTH|HDMS|NODE|20260301120000||ORU^R01|X1|P|2.5.1\rPID|1||M1'), { address: '127.0.0.1', port: 50412 });
    // An MSH that names neither MSH-3 nor MSH-4 (what the tester's `^`-separated header came to).
    await intake.handleFrame(Buffer.from('MSH|^~\\&|||HDMS|NODE|20260301120000||ORU^R01|X2|P|2.5.1\rPID|1||M1'), { address: '127.0.0.1', port: 50413 });
    expect(intake.stats().senders.map((counters) => [counters.sender, counters.received])).toEqual([['No readable sender (from 127.0.0.1)', 2]]);
  });
});
