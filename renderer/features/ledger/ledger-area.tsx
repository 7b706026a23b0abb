import { ComingLaterPanel } from '../../app/layout/coming-later-panel';

export function LedgerArea() {
  return (
    <ComingLaterPanel>
      <p>
        The ledger will be this node’s audit trail: one signed entry for every significant act, such as an intake
        batch, a record viewed, a consent changed, an export or an erasure, with filters by kind, operator and date.
      </p>
      <p>
        Entries hold hashes and pseudonyms, never patient data. They form a hash chain that the institution cannot
        quietly rewrite, and an exported ledger can be verified independently with standard tools.
      </p>
    </ComingLaterPanel>
  );
}
