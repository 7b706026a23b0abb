import { describe, expect, it } from 'vitest';
import { INTAKE_KINDS, isMindEventKind, JOURNAL_KIND_PATTERN, LEDGER_ENTRY_KIND, MAX_KIND_LENGTH, MIND_KINDS, QUARANTINE_KINDS, RESERVED_KIND_PREFIX } from '../../../shared/journal/journal-kinds';

describe('shared/journal: one list of kinds for both halves', () => {
  const all = [...INTAKE_KINDS, ...Object.values(QUARANTINE_KINDS), ...Object.values(MIND_KINDS), LEDGER_ENTRY_KIND];

  it('every kind is a valid journal kind, and none is reserved for the journal itself', () => {
    for (const kind of all) {
      expect(kind).toMatch(JOURNAL_KIND_PATTERN);
      expect(kind.length).toBeLessThanOrEqual(MAX_KIND_LENGTH);
      expect(kind.startsWith(RESERVED_KIND_PREFIX)).toBe(false);
    }
  });

  it('the mind may append its own kinds through journal.append, and no intake or ledger kind', () => {
    for (const kind of Object.values(MIND_KINDS)) expect(isMindEventKind(kind)).toBe(true);
    for (const kind of [...INTAKE_KINDS, ...Object.values(QUARANTINE_KINDS), LEDGER_ENTRY_KIND]) expect(isMindEventKind(kind)).toBe(false);
  });
});
