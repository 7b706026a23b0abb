import { describe, expect, it } from 'vitest';
import { entryLabel, entryTimes, entryTrust, kindLabel, operatorLabel, shortHash, verificationSentence } from '../../../../renderer/features/ledger/ledger-format';
import { toLedgerFilter, NO_FILTER } from '../../../../renderer/features/ledger/use-ledger-timeline';
import type { LedgerVerification } from '../../../../renderer/ledger/ledger-service';

const at = (minute: number): string => new Date(Date.UTC(2025, 2, 1, 8, minute)).toISOString();

describe('ledger format', () => {
  it('labels kinds, operators and shortens hashes', () => {
    expect(kindLabel('INTAKE_BATCH')).toBe('Intake batch');
    expect(kindLabel('OPERATOR_CHANGE')).toBe('Operator change');
    expect(operatorLabel('', {})).toBe('Node');
    expect(operatorLabel('op-1', { 'op-1': 'Ada' })).toBe('Ada');
    expect(operatorLabel('0123456789abcdef0123', {})).toBe('012345…0123');
    expect(shortHash('0x00112233445566778899aabbccddeeff')).toBe('0x001122…eeff');
    expect(shortHash('short')).toBe('short');
  });

  it('words a verification', () => {
    expect(verificationSentence({ ok: true, entries: 1234, checkedAt: at(0) })).toBe('All 1,234 entries verified.');
    expect(verificationSentence({ ok: true, entries: 1, checkedAt: at(0) })).toBe('All 1 entry verified.');
    expect(
      verificationSentence({ ok: false, entries: 20, checkedAt: at(0), firstBreak: { seq: 17, problem: 'bad signature' } }),
    ).toBe('Entry 17: bad signature');
  });

  it('tells each entry’s state from the last verification', () => {
    const ok: LedgerVerification = { ok: true, entries: 10, checkedAt: at(10) };
    const broken: LedgerVerification = { ok: false, entries: 10, checkedAt: at(10), firstBreak: { seq: 5, problem: 'swapped' } };
    expect(entryTrust({ seq: 3, createdAt: at(3) }, null)).toEqual({ state: 'unverified' });
    expect(entryTrust({ seq: 3, createdAt: at(3) }, ok)).toEqual({ state: 'verified' });
    // Written after the check: not covered by it.
    expect(entryTrust({ seq: 11, createdAt: at(11) }, ok)).toEqual({ state: 'unverified' });
    expect(entryTrust({ seq: 4, createdAt: at(4) }, broken)).toEqual({ state: 'verified' });
    expect(entryTrust({ seq: 5, createdAt: at(5) }, broken)).toEqual({ state: 'broken', problem: 'swapped' });
    expect(entryTrust({ seq: 6, createdAt: at(6) }, broken)).toEqual({ state: 'untrusted' });
    expect(entryTrust({ seq: 12, createdAt: at(12) }, broken)).toEqual({ state: 'untrusted' });
  });

  it('sends only the filters that are set', () => {
    expect(toLedgerFilter(NO_FILTER)).toEqual({});
    expect(toLedgerFilter({ kinds: ['ACCESS'], operator: 'op-1', from: '2025-03-01', to: '2025-03-02', subject: '  s1 ' })).toEqual({
      kinds: ['ACCESS'],
      operator: 'op-1',
      from: '2025-03-01',
      to: '2025-03-02',
      subject: 's1',
    });
  });
});

describe('entryLabel (QA issue 11: every session event read "Sign-in and lock")', () => {
  it('names a session entry by its event; old lock entries (no idle mark) read "Locked"; other kinds by their kind', () => {
    const session = (event: string) => ({ kind: 'SESSION' as const, summary: { event } });
    expect(entryLabel(session('signed in'))).toBe('Signed in');
    expect(entryLabel(session('locked'))).toBe('Locked');
    expect(entryLabel(session('locked automatically (idle)'))).toBe('Locked automatically (idle)');
    expect(entryLabel(session('unlock failed'))).toBe('Failed unlock');
    expect(entryLabel(session('window closed'))).toBe('Window closed');
    expect(entryLabel(session('signed out: account disabled'))).toBe('Signed out by an administrator: account disabled');
    expect(entryLabel(session('signed out: role changed'))).toBe('Signed out by an administrator: role changed');
    // Unreadable details: the kind's own label.
    expect(entryLabel({ kind: 'SESSION', summary: {} })).toBe('Session event');
    expect(entryLabel({ kind: 'ACCESS', summary: { event: 'signed in' } })).toBe('Record viewed');
  });
});

describe('entryLabel: a session an administrator ended names the administrator, as the entry page and the access report do (issue 11)', () => {
  const revoked = (by?: string) => ({ kind: 'SESSION' as const, summary: { event: 'signed out: account disabled', ...(by === undefined ? {} : { 'signed out by': by }) } });
  it('by name where this session may know it, else "another operator (administrator)"; entries from before the administrator was recorded say "an administrator"', () => {
    expect(entryLabel(revoked('adaPseudonym'), { adaPseudonym: 'Ada Admin' })).toBe('Signed out by Ada Admin: account disabled');
    // A clinician's names are her own only: the pseudonym stays on the entry's page.
    expect(entryLabel(revoked('adaPseudonym'), { other: 'Cleo Clinician' })).toBe('Signed out by another operator (administrator): account disabled');
    expect(entryLabel(revoked('adaPseudonym'))).toBe('Signed out by another operator (administrator): account disabled');
    expect(entryLabel(revoked(), { adaPseudonym: 'Ada Admin' })).toBe('Signed out by an administrator: account disabled');
    expect(entryLabel({ kind: 'SESSION', summary: { event: 'signed out: role changed' } })).toBe('Signed out by an administrator: role changed');
  });
});

describe('entryLabel: a sign-in after failed unlocks (QA s32 finding 4)', () => {
  it('says how many failed before it, as the access report does; none, or an unreadable count, says nothing more', () => {
    const signedIn = (failed: unknown) => ({ kind: 'SESSION' as const, summary: { event: 'signed in', 'failed unlocks before': failed as number } });
    expect(entryLabel(signedIn(4))).toBe('Signed in after 4 failed unlocks');
    expect(entryLabel(signedIn(1))).toBe('Signed in after 1 failed unlock');
    expect(entryLabel(signedIn(0))).toBe('Signed in');
    expect(entryLabel(signedIn('4'))).toBe('Signed in');
    // A failed unlock's own count is the access report's "(N in a row)", not a sign-in's.
    expect(entryLabel({ kind: 'SESSION', summary: { event: 'unlock failed', 'failed unlocks before': 2 } })).toBe('Failed unlock');
  });
});

describe('entryTimes', () => {
  it('is when the act happened (its at), else when the entry was signed', () => {
    expect(entryTimes({ createdAt: '2025-03-01T10:00:17.000Z', summary: { at: '2025-03-01T09:59:05.000Z' } })).toEqual({ happened: '2025-03-01T09:59:05.000Z', signed: '2025-03-01T10:00:17.000Z' });
    expect(entryTimes({ createdAt: '2025-03-01T10:00:17.000Z', summary: {} })).toEqual({ happened: '2025-03-01T10:00:17.000Z', signed: '2025-03-01T10:00:17.000Z' });
    expect(entryTimes({ createdAt: '2025-03-01T10:00:17.000Z', summary: { at: 'not a time' } })).toEqual({ happened: '2025-03-01T10:00:17.000Z', signed: '2025-03-01T10:00:17.000Z' });
  });
});

describe('entryLabel: a backup that failed (tester T2 F10)', () => {
  it('reads "Backup failed" (scheduled or by hand), not "Export"; a backup made stays an export', () => {
    expect(entryLabel({ kind: 'EXPORT', summary: { export: 'backup', result: 'failed', scheduled: 'on', reason: 'The backup destination is full.' } })).toBe('Scheduled backup failed');
    expect(entryLabel({ kind: 'EXPORT', summary: { export: 'backup', result: 'failed', scheduled: 'off' } })).toBe('Backup failed');
    expect(entryLabel({ kind: 'EXPORT', summary: { export: 'backup', scheduled: 'on' } })).toBe(entryLabel({ kind: 'EXPORT', summary: {} }));
  });
});
