import { useEffect, useId, useState } from 'react';
import { ActionError } from '../../app/vault-errors';
import { useCurrentOperator, useVault, useVaultIndexing } from '../../vault/vault-context';
import { mayReadJournalIssues, type JournalIssues } from '../../vault/vault-service';

const numberFormat = new Intl.NumberFormat('en');

/** "1 record was" / "3 records were". */
function recordsWere(count: number): string {
  return count === 1 ? '1 journal record was' : `${numberFormat.format(count)} journal records were`;
}

/**
 * The journal records the views could not apply (unreadable, or rejected as forged), for the roles
 * that answer for the vault's integrity; nothing for anyone else.
 */
export function JournalRecords() {
  const operator = useCurrentOperator();
  if (operator === null || !mayReadJournalIssues(operator.role)) return null;
  return <JournalRecordsBlock />;
}

/**
 * Messages whose PID-3 named identifiers two different charts held (issue 11, patient safety): each
 * was filed on the chart of its first such identifier, and the charts were not merged, since one
 * message is no proof that two patients are one (an ADT^A40 merge is).
 */
function IdentityConflicts({ count }: { count: number }) {
  const messages = count === 1 ? '1 message named identifiers held by two different patients' : `${numberFormat.format(count)} messages named identifiers held by two different patients`;
  return (
    <div className="note note--warn journal-issues">
      <p>
        <strong>{messages}.</strong>
      </p>
      <p>
        Each was filed on the patient of the first such identifier in the message; the two patients were not merged.
        Check both charts with the sending system: if they are one person, merge them there (ADT^A40); if not, the
        sender has mixed up two patients’ identifiers.
      </p>
    </div>
  );
}

function JournalRecordsBlock() {
  const vault = useVault();
  const headingId = useId();
  const { busy } = useVaultIndexing();
  const [issues, setIssues] = useState<JournalIssues | null>(null);
  const [error, setError] = useState<unknown>(null);

  // Read again whenever indexing settles: a sync or a rebuild changes the counts. The last answer
  // stays on screen meanwhile.
  useEffect(() => {
    if (busy) return;
    let live = true;
    vault.journalIssues().then(
      (next) => {
        if (!live) return;
        setIssues(next);
        setError(null);
      },
      (failure: unknown) => {
        if (live) setError(failure);
      },
    );
    return () => {
      live = false;
    };
  }, [vault, busy]);

  return (
    <div className="settings-block" role="group" aria-labelledby={headingId}>
      <h3 id={headingId}>Journal records</h3>
      {issues === null && error === null && <p className="muted">Checking the journal records…</p>}
      {issues !== null && issues.problems === 0 && issues.rejected === 0 && (issues.identityConflicts ?? 0) === 0 && <p className="muted">Every journal record was applied.</p>}
      {issues !== null && (issues.problems > 0 || issues.rejected > 0) && (
        <div className="note note--warn journal-issues">
          <p>
            <strong>Some journal records were not applied.</strong>
          </p>
          <ul>
            <li>{recordsWere(issues.problems)} skipped as unreadable (sealed data that did not open, or not in a known form).</li>
            <li>
              {recordsWere(issues.rejected)} rejected as not written by this vault’s operators (no valid authenticator, or an operator change the writer’s role may not make):
              possible tampering.
            </li>
          </ul>
          <p>
            Keep the vault folder as it is for investigation (copy it before changing anything). Rebuilding the index
            does not remove these records: they stay in the journal and are counted again. The ledger lists the
            rejected ones in its entries’ summaries, under “rejected records”.
          </p>
        </div>
      )}
      {issues !== null && (issues.identityConflicts ?? 0) > 0 && <IdentityConflicts count={issues.identityConflicts ?? 0} />}
      <ActionError error={error} />
    </div>
  );
}
