import { describe, expect, it } from 'vitest';
import { entryNotaryLabel, entryNotaryState, type NotaryProgress } from '../../../../renderer/features/ledger/entry-notary-state';

/** Each ledger entry's state with the network (issue 10 item 11): local, submitted, notarized (leaf), witnessed. */
describe('entry notary state', () => {
  const member: NotaryProgress = { member: true, submittedSeq: 7, witnessedSize: 4 };
  const notary = (leafIndex: number) => ({ leafIndex, treeSize: 10, integratedAt: '2026-12-04T10:00:00.000Z' });

  it('says local above what the notary accepted, submitted up to it, notarized with the leaf, witnessed below the witnessed size', () => {
    expect(entryNotaryState({ seq: 8 }, member)).toBe('local');
    expect(entryNotaryState({ seq: 7 }, member)).toBe('submitted');
    expect(entryNotaryState({ seq: 6, notary: notary(4) }, member)).toBe('notarized');
    expect(entryNotaryState({ seq: 5, notary: notary(3) }, member)).toBe('witnessed');
    expect(entryNotaryLabel({ notary: notary(4) }, 'notarized')).toBe('Notarized (leaf 4)');
    expect(entryNotaryLabel({ notary: notary(3) }, 'witnessed')).toBe('Witnessed (leaf 3)');
    expect(entryNotaryLabel({}, 'submitted')).toBe('Submitted');
    expect(entryNotaryLabel({}, 'local')).toBe('Local');
  });

  it('shows no state on a node outside any network, but still a receipt it kept', () => {
    const island: NotaryProgress = { member: false, submittedSeq: 0, witnessedSize: 0 };
    expect(entryNotaryState({ seq: 1 }, island)).toBeNull();
    expect(entryNotaryState({ seq: 1, notary: notary(0) }, island)).toBe('notarized');
  });
});
