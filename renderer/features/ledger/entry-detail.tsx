import { useId, useState } from 'react';
import { useAction } from '../../app/use-action';
import { hrefForRoute } from '../../app/router/hash-route';
import { useVaultRead } from '../../app/use-vault-read';
import { ActionError, vaultErrorMessage } from '../../app/vault-errors';
import type { LedgerEntryView, LedgerService, LedgerVerification } from '../../ledger/ledger-service';
import { CopyButton } from '../../app/copy-button';
import { entryLabel, entryTimes, entryTrust, ledgerTime, NODE_OPERATOR_LABEL, SIGNED_OUT_BY, trustLabel, trustSentence } from './ledger-format';
import { TrustMark } from './trust-mark';
import { entryNotaryState } from './entry-notary-state';
import { useNotaryProgress } from './use-notary-progress';
import { Fact } from '../../app/fact';

/** `#/ledger/<seq>`: every field of one signed entry, and what the last verification says of it. */
export function EntryDetail({
  ledger,
  seq,
  names,
  verification,
}: {
  ledger: LedgerService;
  seq: number;
  names: Readonly<Record<string, string>>;
  verification: LedgerVerification | null;
}) {
  const entry = useVaultRead(`ledger-entry:${seq}`, () => ledger.entry(seq));
  return (
    <>
      <p className="breadcrumb">
        <a href={hrefForRoute('ledger')}>← All entries</a>
      </p>
      {entry.phase === 'loading' && <p role="status">Loading entry {seq}…</p>}
      {entry.phase === 'failed' && (
        <div role="alert" className="note note--error">
          <p>
            Entry {seq} could not be loaded: {vaultErrorMessage(entry.error)}
          </p>
          <button type="button" className="button" onClick={entry.reload}>
            Retry
          </button>
        </div>
      )}
      {entry.phase === 'ready' && entry.value === null && (
        <div className="panel">
          <p>The ledger has no entry {seq}.</p>
        </div>
      )}
      {entry.phase === 'ready' && entry.value !== null && <EntryView entry={entry.value} names={names} verification={verification} ledger={ledger} />}
    </>
  );
}


/** What an implementation may add (the real one does): checking the notarization again. */
interface WithRecheck {
  recheckNotary?: (seq: number) => Promise<{ readonly ok: true; readonly leafIndex: number; readonly treeSize: number } | { readonly ok: false; readonly problem: string }>;
}

/** "Check again": the receipt's signature, the checkpoint's, and the inclusion proof, on this computer. */
function NotaryRecheckButton({ ledger, seq }: { ledger: LedgerService & WithRecheck; seq: number }) {
  const recheck = useAction(async () => ledger.recheckNotary!(seq));
  const [result, setResult] = useState<Awaited<ReturnType<NonNullable<WithRecheck['recheckNotary']>>> | null>(null);
  if (ledger.recheckNotary === undefined) return null;
  return (
    <div className="form-actions">
      <button
        type="button"
        className="button"
        disabled={recheck.busy}
        onClick={() => {
          setResult(null);
          void recheck.run().then((checked) => setResult(checked ?? null));
        }}
      >
        Check the inclusion proof again
      </button>
      {result !== null && (
        <p role={result.ok ? 'status' : 'alert'} className={`note ${result.ok ? 'note--ok' : 'note--error'}`}>
          {result.ok
            ? `Checked: the receipt and the checkpoint are signed by the network’s log key, and the proof leads from this entry to the root of ${result.treeSize} leaves.`
            : result.problem}
        </p>
      )}
      <ActionError error={recheck.error} />
    </div>
  );
}

/** A hash, address or signature: whole, monospaced, selectable, with its own Copy button. */
function HashValue({ value, what }: { value: string; what: string }) {
  if (value === '') return <span className="muted">None</span>;
  return (
    <div className="hash-value">
      <code className="hash hash--full">{value}</code>
      <CopyButton value={value} name={`Copy ${what}`} />
    </div>
  );
}

function EntryView({
  entry,
  names,
  verification,
  ledger,
}: {
  entry: LedgerEntryView;
  names: Readonly<Record<string, string>>;
  verification: LedgerVerification | null;
  ledger: LedgerService;
}) {
  const headingId = useId();
  const summaryId = useId();
  const trust = entryTrust(entry, verification);
  const times = entryTimes(entry);
  const summary = Object.entries(entry.summary);
  const operatorName = entry.operator === '' ? null : names[entry.operator];
  const notaryState = entryNotaryState(entry, useNotaryProgress());

  return (
    <section className="panel ledger-entry" aria-labelledby={headingId}>
      <h2 id={headingId}>Entry {entry.seq}</h2>
      <div className={`note ledger-entry__trust ledger-entry__trust--${trust.state}`}>
        <p>
          <TrustMark trust={trust} label={trustLabel(trust)} />
        </p>
        <p>{trustSentence(trust)}</p>
        {verification !== null && (
          <p className="muted">
            Last verification: <time dateTime={verification.checkedAt}>{ledgerTime(verification.checkedAt)}</time>.
          </p>
        )}
      </div>
      <dl className="facts ledger-facts">
        <Fact term="Sequence">{entry.seq}</Fact>
        <Fact term="Kind">
          {entryLabel(entry, names)} <code className="ledger-kind__raw">{entry.kind}</code>
        </Fact>
        {times.happened !== times.signed && (
          <Fact term="Happened">
            <time dateTime={times.happened}>{ledgerTime(times.happened)}</time>{' '}
            <code className="ledger-kind__raw">{times.happened}</code>
          </Fact>
        )}
        <Fact term="Signed">
          <time dateTime={entry.createdAt}>{ledgerTime(entry.createdAt)}</time>{' '}
          <code className="ledger-kind__raw">{entry.createdAt}</code>
        </Fact>
        <Fact term="Operator">
          {entry.operator === '' ? (
            <>{NODE_OPERATOR_LABEL} (an act of the node itself)</>
          ) : (
            <div className="hash-value">
              {operatorName !== undefined && <span>{operatorName}</span>}
              <code className="hash hash--full">{entry.operator}</code>
              <CopyButton value={entry.operator} name="Copy operator pseudonym" />
            </div>
          )}
        </Fact>
        <Fact term="Subject">
          {entry.subjectName !== undefined && <span>{entry.subjectName} (resolved on this computer; never signed or sent)</span>}
          <HashValue value={entry.subject} what="subject pseudonym" />
        </Fact>
        <Fact term="Previous hash">
          <HashValue value={entry.prevHash} what="previous hash" />
        </Fact>
        <Fact term="Payload hash">
          <HashValue value={entry.payloadHash} what="payload hash" />
        </Fact>
        <Fact term="Inputs">
          {entry.inputs.length === 0 ? (
            <span className="muted">None</span>
          ) : (
            <ol className="ledger-inputs">
              {entry.inputs.map((input, index) => (
                <li key={`${index}:${input}`}>
                  <code className="hash hash--full">{input}</code>
                </li>
              ))}
            </ol>
          )}
        </Fact>
        <Fact term="Entry hash">
          <HashValue value={entry.entryHash} what="entry hash" />
        </Fact>
        <Fact term="Signer">
          <HashValue value={entry.signer} what="signer address" />
        </Fact>
        <Fact term="Signature">
          <HashValue value={entry.signature} what="signature" />
        </Fact>
        <Fact term="Network notary">
          {entry.notary === undefined ? (
            <span className="muted">
              {notaryState === 'submitted'
                ? 'Submitted: the network’s notary accepted it and is adding it to its log; the receipt comes with the next sync.'
                : 'Local only: not yet countersigned by a network’s notary.'}
            </span>
          ) : (
            <>
              <span>
                Notarized: leaf {entry.notary.leafIndex} of the network’s log (checked against a checkpoint of {entry.notary.treeSize}{' '}
                leaves), <time dateTime={entry.notary.integratedAt}>{ledgerTime(entry.notary.integratedAt)}</time>
                {notaryState === 'witnessed' ? '; witnessed: a checkpoint that includes it carries the network’s quorum of witness cosignatures.' : '.'}
              </span>
              <NotaryRecheckButton ledger={ledger} seq={entry.seq} />
            </>
          )}
        </Fact>
      </dl>
      <h3 id={summaryId} className="ledger-entry__summary-heading">
        Summary
      </h3>
      {summary.length === 0 ? (
        <p className="muted">This entry has no summary.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table ledger-summary" aria-labelledby={summaryId}>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {summary.map(([name, value]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td>{name === SIGNED_OUT_BY && typeof value === 'string' && names[value] !== undefined ? `${names[value]} (${value})` : value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
