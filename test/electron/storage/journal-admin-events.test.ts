import { afterEach, describe, expect, it } from 'vitest';
import type { Body } from '../../../electron/body';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import { useTempDirs } from '../../support/temp-dir';
import { readJournal } from '../vault/vault-test-support';
import { callAs, CLEO, refused, withAdaAndCleo } from '../vault/two-operators';

/**
 * journal.append is open to clinical sessions (admin or clinician), but some mind events record an
 * administrator's act: the body refuses them from anyone else, whatever the page claims. A
 * clinician's forged `erasure.patient` would hide a patient from every rebuild of the views (the
 * projectors drop an erased patient's rows) without any erasure by the body; a forged research
 * policy, device approval or purchase acceptance would sign a SETTINGS_CHANGE or PURCHASE entry no
 * administrator made.
 */
const bodies: Body[] = [];
const tempDir = useTempDirs();
afterEach(async () => {
  for (const b of bodies.splice(0)) await b.stop('quit');
});

const ADMIN_ONLY = [
  MIND_KINDS.erasure,
  MIND_KINDS.researchPolicy,
  MIND_KINDS.deviceDecision,
  MIND_KINDS.purchaseAccepted,
  MIND_KINDS.purchaseDelivered,
  MIND_KINDS.institution,
  MIND_KINDS.autoLockSetting,
];

describe('body: mind events that record an administrator\'s act', () => {
  it.each(ADMIN_ONLY)('refuses a clinician\'s journal.append of %s and journals nothing', async (kind) => {
    const { b } = await withAdaAndCleo(await tempDir(), bodies);
    const before = (await readJournal(b)).length;
    const answer = await refused(callAs(b, CLEO, 'journal.append', { kind, operator: null, objects: [], meta: null }));
    expect(answer.code).toBe('E_FORBIDDEN');
    expect(answer.message).toContain('administrator');
    expect(await readJournal(b)).toHaveLength(before);
  });

  it('still takes a clinician\'s own events (a record viewed, a consent, a device assigned)', async () => {
    const { b } = await withAdaAndCleo(await tempDir(), bodies);
    for (const kind of [MIND_KINDS.access, MIND_KINDS.consentRecorded, MIND_KINDS.deviceAssigned]) {
      const { seq } = await callAs(b, CLEO, 'journal.append', { kind, operator: null, objects: [], meta: null });
      expect(seq).toBeGreaterThan(0);
    }
  });
});
