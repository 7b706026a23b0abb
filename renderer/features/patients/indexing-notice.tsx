import { useEffect, useState } from 'react';
import type { IndexingState } from '../../vault/vault-service';

/**
 * How long the views must stay busy before the notice shows: the short replay after each new
 * journal entry (opening a patient journals an access) would otherwise flash it on every page.
 */
export const INDEXING_NOTICE_DELAY_MS = 300;

const numberFormat = new Intl.NumberFormat('en');

/**
 * "Indexing the vault…" while the vault's views are being built (after a restore, a demo import,
 * "Rebuild index", new journal entries): search results and patient pages may be incomplete
 * meanwhile. Nothing while idle.
 */
export function IndexingNotice({ indexing }: { indexing: IndexingState }) {
  // Mounted afresh for every busy period, so its delay starts over each time.
  return indexing.busy ? <BusyNotice applied={indexing.applied} /> : null;
}

function BusyNotice({ applied }: { applied: number }) {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setShown(true), INDEXING_NOTICE_DELAY_MS);
    return () => clearTimeout(timer);
  }, []);
  if (!shown) return null;
  return (
    <p role="status" className="note note--indexing">
      Indexing the vault… results may be incomplete.
      {applied > 0 && (
        // Progress is for the eye: a screen reader hears the notice once, not every count.
        <span aria-hidden="true"> {numberFormat.format(applied)} journal records applied so far.</span>
      )}
    </p>
  );
}
