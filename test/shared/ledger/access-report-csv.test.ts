import { describe, expect, it } from 'vitest';
import { actionOf } from '../../../renderer/ledger/access-report';
import { kindOfAction } from '../../../shared/ledger/access-report-csv';

/** The verifier reads an access report's action back to its entry kind: every sentence the mind writes must map back. */
describe('kindOfAction', () => {
  const cases: [string, Record<string, string | number>][] = [
    ['ACCESS', {}],
    ['ACCESS', { opened: 'one record' }],
    ['ACCESS', { opened: 'imaging study' }],
    ['ACCESS', { opened: 'raw message', message: 12 }],
    ['ACCESS', { opened: 'quarantined input', 'quarantine record': 7 }],
    ['SESSION', { event: 'signed in', 'unlocked with': 'recovery', 'failed unlocks before': 2 }],
    ['SESSION', { event: 'signed in', 'unlocked with': 'keychain' }],
    ['SESSION', { event: 'unlock failed', 'tried with': 'keychain', 'failed unlocks before': 1 }],
    ['SESSION', { event: 'locked' }],
    ['SESSION', { event: 'window closed' }],
    ['SESSION', {}],
    // A session an administrator's keyring change ended, from before `by` and with it.
    ['SESSION', { event: 'signed out: account disabled' }],
    ['SESSION', { event: 'signed out: role changed', 'signed out by': 'adaPseudonym' }],
    ['EXPORT', { export: 'accessReport', entries: 3 }],
    ['EXPORT', { export: 'backup', scheduled: 'on' }],
    ['EXPORT', { export: 'document' }],
    ['EXPORT', {}],
    ['QUARANTINE', { action: 'reprocessed', 'quarantine record': 3 }],
    ['QUARANTINE', { action: 'discarded' }],
    ['QUARANTINE', {}],
    ['ERASURE', {}],
  ];
  it.each(cases)('reads the %s sentence for %j back to its kind', (kind, summary) => {
    expect(kindOfAction(actionOf(kind, summary))).toBe(kind);
  });

  it('knows no other sentence', () => {
    expect(kindOfAction('Looked over the shoulder')).toBeNull();
    expect(kindOfAction('Opened the patient')).toBe('ACCESS');
    // A study opening as the patient's page and the report word it (the study resolved on this computer).
    expect(kindOfAction('Opened an imaging study (2026-01-14, CT, CT HEAD)')).toBe('ACCESS');
    expect(kindOfAction('LEDGER')).toBeNull();
  });
});
