import { useState } from 'react';
import { ComingLaterPanel } from '../../app/layout/coming-later-panel';
import { NotFoundView } from '../../app/layout/not-found-view';
import { useLastVerification, useLedger, useLedgerWriterProblem } from '../../app/ledger-context';
import { useSetupReturn } from '../../app/setup-return-context';
import { useVaultRead } from '../../app/use-vault-read';
import type { LedgerService, LedgerVerification } from '../../ledger/ledger-service';
import { useVaultPhase } from '../../vault/vault-context';
import { hrefForPath } from '../../app/router/hash-route';
import { AccessReportView } from './access-report-view';
import { EntryDetail } from './entry-detail';
import { LedgerTimelineView } from './ledger-timeline';
import { useLedgerTimeline } from './use-ledger-timeline';
import { VerificationPanel } from './verification-panel';

const NO_NAMES: Readonly<Record<string, string>> = {};

/**
 * Ledger: `#/ledger` (verification, then the timeline) and `#/ledger/<seq>` (one entry). The
 * timeline's filters and loaded pages, and the last verification, live here above both pages.
 */
export function LedgerArea({ path }: { path: readonly string[] }) {
  const phase = useVaultPhase();
  const ledger = useLedger();
  if (ledger === null) return <NoLedgerHere />;
  if (phase !== 'unlocked') return <LedgerLocked />;
  return <OpenLedgerArea ledger={ledger} path={path} />;
}

function OpenLedgerArea({ ledger, path }: { ledger: LedgerService; path: readonly string[] }) {
  const timeline = useLedgerTimeline(ledger);
  const names = useVaultRead('ledger:operator-names', () => ledger.operatorNames());
  const stored = useLastVerification(ledger);
  const writerProblem = useLedgerWriterProblem(ledger);
  // What "Verify ledger" answered here, in case the service keeps it only later.
  const [ran, setRan] = useState<LedgerVerification | null>(null);
  const verification = newer(ran, stored);
  // The list follows the ledger as entries are signed and verified (use-ledger-timeline.ts), so a
  // header counting more entries than the list shows catches up too (QA s32: "All 28 entries
  // verified" over a list ending at 25).

  const nameMap = names.phase === 'ready' ? names.value : NO_NAMES;
  const [seqText, ...rest] = path;
  if (seqText === 'access' && rest.length === 0) return <AccessReportView ledger={ledger} names={nameMap} />;
  if (seqText === undefined) {
    return (
      <>
        <p className="ledger-area__links">
          <a href={hrefForPath('ledger', 'access')}>Access report</a>: who accessed which patient, signed in or exported, with the proof.
        </p>
        <VerificationPanel ledger={ledger} verification={verification} writerProblem={writerProblem} onVerified={setRan} />
        <LedgerTimelineView
          timeline={timeline}
          names={nameMap}
          namesError={names.phase === 'failed' ? names.error : null}
          verification={verification}
        />
      </>
    );
  }
  if (/^\d+$/.test(seqText) && rest.length === 0) {
    const seq = Number(seqText);
    return <EntryDetail key={seq} ledger={ledger} seq={seq} names={nameMap} verification={verification} />;
  }
  return <NotFoundView />;
}

function newer(a: LedgerVerification | null, b: LedgerVerification | null): LedgerVerification | null {
  if (a === null || b === null) return a ?? b;
  return Date.parse(a.checkedAt) > Date.parse(b.checkedAt) ? a : b;
}

function LedgerLocked() {
  const backToSetup = useSetupReturn();
  return (
    <div className="panel">
      <p>
        The ledger is this node’s audit trail: one signed entry for every significant act, such as an intake batch, a
        record viewed, a consent changed, an export or an erasure. Entries hold hashes and pseudonyms, never patient
        data, and form a hash chain that the institution cannot quietly rewrite.
      </p>
      <p>The ledger opens with the vault, and this node has no vault yet, so there is nothing to show.</p>
      {backToSetup !== null && (
        <button type="button" className="button button--primary" onClick={backToSetup}>
          Set up the vault
        </button>
      )}
    </div>
  );
}

/** This window was started without a ledger (it is wired in main.tsx). */
function NoLedgerHere() {
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
