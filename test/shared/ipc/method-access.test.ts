import { describe, expect, it } from 'vitest';
import { LEDGER_EXPORT_ROLES, ledgerExportersInWords, ledgerExportRefusal, mayExportLedger } from '../../../shared/ipc/method-access';
import { OPERATOR_ROLES } from '../../../shared/ipc/vault-contract';

describe('who may export the ledger', () => {
  it('admits administrators, clinicians and auditors, not researchers', () => {
    expect(OPERATOR_ROLES.filter(mayExportLedger)).toEqual(['admin', 'clinician', 'auditor']);
    expect(LEDGER_EXPORT_ROLES.every(mayExportLedger)).toBe(true);
    expect(mayExportLedger('researcher')).toBe(false);
  });

  it('says who may in words, and refuses the others in one sentence', () => {
    expect(ledgerExportersInWords()).toBe('an administrator, a clinician or an auditor');
    expect(ledgerExportRefusal('researcher')).toBe('Your role (researcher) does not export the ledger: an administrator, a clinician or an auditor does.');
  });
});
