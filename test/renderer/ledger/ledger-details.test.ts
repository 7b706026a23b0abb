import { describe, expect, it } from 'vitest';
import { bytes32ToPseudonym, summaryOf } from '../../../renderer/ledger/ledger-details';

const session = { workstation: 'ward-pc (browser shell)', at: '2025-03-01T09:09:05.000Z', role: 'admin', slot: 'passphrase', failedAttempts: 0 };

describe('summaryOf SESSION (QA issue 11)', () => {
  it('says an automatic lock apart from a lock by hand; a lock entry from before the idle mark reads "locked"', () => {
    expect(summaryOf('SESSION', { ...session, event: 'locked', idle: true })).toMatchObject({ event: 'locked automatically (idle)', at: session.at });
    expect(summaryOf('SESSION', { ...session, event: 'locked' })).toMatchObject({ event: 'locked' });
    expect(summaryOf('SESSION', { ...session, event: 'signedIn' })).toMatchObject({ event: 'signed in' });
    expect(summaryOf('SESSION', { ...session, event: 'unlockFailed' })).toMatchObject({ event: 'unlock failed' });
    // The idle mark is part of the event's words, not a field of its own.
    expect(summaryOf('SESSION', { ...session, event: 'locked', idle: true })).not.toHaveProperty('idle');
  });
});

describe('summaryOf SESSION: a session an administrator\'s keyring change ended', () => {
  it('says why in words: disabled, removed, another role, no recovery slot; the cause is part of the event, not a field', () => {
    const revoked = (cause?: string) => summaryOf('SESSION', { ...session, role: 'clinician', event: 'revoked', ...(cause === undefined ? {} : { cause }) });
    expect(revoked('disabled')).toMatchObject({ event: 'signed out: account disabled', role: 'clinician' });
    expect(revoked('removed')).toMatchObject({ event: 'signed out: account removed' });
    expect(revoked('roleChanged')).toMatchObject({ event: 'signed out: role changed' });
    expect(revoked('recoveryRemoved')).toMatchObject({ event: 'signed out: recovery key removed' });
    expect(revoked()).toMatchObject({ event: 'signed out: access changed' });
    expect(revoked('disabled')).not.toHaveProperty('cause');
  });

  it('names the administrator who did it by pseudonym (`by`, bytes32 as signed); an entry signed before `by` existed has none', () => {
    const admin = `0x${'ad'.repeat(32)}`;
    const summary = summaryOf('SESSION', { ...session, role: 'clinician', event: 'revoked', cause: 'disabled', by: admin });
    expect(summary).toMatchObject({ event: 'signed out: account disabled', 'signed out by': bytes32ToPseudonym(admin) });
    expect(bytes32ToPseudonym(admin)).not.toBe('');
    expect(summaryOf('SESSION', { ...session, role: 'clinician', event: 'revoked', cause: 'disabled' })).not.toHaveProperty('signed out by');
  });
});
