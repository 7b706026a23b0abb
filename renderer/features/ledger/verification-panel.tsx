import { useId, useState } from 'react';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import type { ExportedFile, LedgerService, LedgerVerification } from '../../ledger/ledger-service';
import { SaveFileButton } from '../../app/save-file-button';
import { CopyButton } from '../../app/copy-button';
import { useCurrentOperator } from '../../vault/vault-context';
import { ledgerExportersInWords, mayExportLedger } from '../../../shared/ipc/method-access';
import { entriesWord, ledgerTime, verificationSentence } from './ledger-format';

/**
 * The top of the ledger: the last verification (from unlock, or the last "Verify ledger"), the
 * button to check the whole chain again, and the JSON Lines export for independent verification,
 * shown only to the roles that may write it (mayExportLedger; the mind and the body refuse the rest too).
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
  const operator = useCurrentOperator();
  const canExport = operator !== null && mayExportLedger(operator.role);
  const [exported, setExported] = useState<{ readonly path: string; readonly entries: number; readonly file: ExportedFile } | null>(null);
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
        <VerificationResult verification={verification} canExport={canExport} />
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
        {canExport && (
          <button
            type="button"
            className="button"
            disabled={exportLedger.busy}
            aria-busy={exportLedger.busy || undefined}
            onClick={() => void exportLedger.run()}
          >
            Export ledger
          </button>
        )}
        {canExport && exportLedger.busy && (
          <p role="status" className="form-actions__reason">
            Writing the export…
          </p>
        )}
      </div>
      <ActionError error={verify.error} />
      {canExport && <ActionError error={exportLedger.error} />}
      {canExport && exported !== null && (
        <div className="note note--ok ledger-export">
          <p role="status">
            Exported {entriesWord(exported.entries)} to <code className="path">{exported.path}</code>
          </p>
          <p className="ledger-export__hint">
            JSON Lines: a header with the EIP-712 domain and types, then one signed entry per line. Anyone can check
            it without this app, with standard tools (<code>ethers.verifyTypedData</code>).
          </p>
          <SaveFileButton file={exported.file} label="Download ledger export" />
          <CopyButton variant="path" value={exported.path} label="Copy export path" />
        </div>
      )}
    </section>
  );
}

function VerificationResult({ verification, canExport }: { verification: LedgerVerification | null; canExport: boolean }) {
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
          The chain is broken there: entries from {verification.firstBreak.seq} on are not trusted.{' '}
          {canExport
            ? 'Export the ledger and keep the file for the investigation.'
            : `Tell ${ledgerExportersInWords()}: they can export the ledger and keep the file for the investigation.`}
        </p>
      </div>
      {checked}
    </>
  );
}
