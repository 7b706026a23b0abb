import { useId, useState } from 'react';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import type { LedgerService, LedgerVerification } from '../../ledger/ledger-service';
import { CopyButton } from '../../app/copy-button';
import { entriesWord, ledgerTime, verificationSentence } from './ledger-format';

/**
 * The top of the ledger: the last verification (from unlock, or the last "Verify ledger"), the
 * button to check the whole chain again, and the JSON Lines export for independent verification.
 */
export function VerificationPanel({
  ledger,
  verification,
  writerProblem,
  onVerified,
}: {
  ledger: LedgerService;
  verification: LedgerVerification | null;
  writerProblem: string | null;
  onVerified: (verification: LedgerVerification) => void;
}) {
  const headingId = useId();
  const [exported, setExported] = useState<{ readonly path: string; readonly entries: number } | null>(null);
  const verify = useAction(async () => {
    onVerified(await ledger.verify());
  });
  const exportLedger = useAction(async () => {
    setExported(null);
    setExported(await ledger.exportLedger());
  });

  return (
    <section className="panel ledger-verification" aria-labelledby={headingId}>
      <h2 id={headingId}>Verification</h2>
      {verify.busy ? (
        <p role="status">Verifying every entry’s signature and the hash chain…</p>
      ) : (
        <VerificationResult verification={verification} />
      )}
      {writerProblem !== null && (
        <p role="alert" className="note note--error">
          New acts are not being signed into the ledger: {writerProblem}
        </p>
      )}
      <div className="form-actions">
        <button
          type="button"
          className="button button--primary"
          disabled={verify.busy}
          aria-busy={verify.busy || undefined}
          onClick={() => void verify.run()}
        >
          Verify ledger
        </button>
        <button
          type="button"
          className="button"
          disabled={exportLedger.busy}
          aria-busy={exportLedger.busy || undefined}
          onClick={() => void exportLedger.run()}
        >
          Export ledger
        </button>
        {exportLedger.busy && (
          <p role="status" className="form-actions__reason">
            Writing the export…
          </p>
        )}
      </div>
      <ActionError error={verify.error} />
      <ActionError error={exportLedger.error} />
      {exported !== null && (
        <div className="note note--ok ledger-export">
          <p role="status">
            Exported {entriesWord(exported.entries)} to <code className="path">{exported.path}</code>
          </p>
          <p className="ledger-export__hint">
            JSON Lines: a header with the EIP-712 domain and types, then one signed entry per line. Anyone can check
            it without this app, with standard tools (<code>ethers.verifyTypedData</code>).
          </p>
          <CopyButton variant="path" value={exported.path} label="Copy export path" />
        </div>
      )}
    </section>
  );
}

function VerificationResult({ verification }: { verification: LedgerVerification | null }) {
  if (verification === null) {
    return <p className="muted">The ledger has not been verified since the vault was unlocked.</p>;
  }
  const resumed = verification.resumedAfter;
  const checked =
    resumed === undefined ? (
      <p className="muted ledger-verification__when">
        Checked <time dateTime={verification.checkedAt}>{ledgerTime(verification.checkedAt)}</time>: every signature and
        every link of the hash chain.
      </p>
    ) : (
      <p className="muted ledger-verification__when">
        Checked <time dateTime={verification.checkedAt}>{ledgerTime(verification.checkedAt)}</time>: the entries after{' '}
        {resumed.seq}, whose chain continues from entry {resumed.seq} as verified{' '}
        <time dateTime={resumed.at}>{ledgerTime(resumed.at)}</time>. “Verify ledger” checks every entry again.
      </p>
    );
  if (verification.ok) {
    return (
      <>
        <p role="status" className="note note--ok ledger-verification__result ledger-verification__result--ok">
          {verificationSentence(verification)}
        </p>
        {checked}
      </>
    );
  }
  return (
    <>
      <div role="alert" className="note note--error ledger-verification__result">
        <p className="ledger-verification__break">
          {verificationSentence(verification)}
        </p>
        <p>
          The chain is broken there: entries from {verification.firstBreak.seq} on are not trusted. Export the ledger
          and keep the file for the investigation.
        </p>
      </div>
      {checked}
    </>
  );
}
