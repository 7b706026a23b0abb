import { ComingLaterPanel } from '../../app/layout/coming-later-panel';

export function MarketplaceArea() {
  return (
    <ComingLaterPanel>
      <p>
        The marketplace will answer keyword searches from researchers in the network and let your institution offer
        them anonymized datasets.
      </p>
      <p>
        Data leaves this node only anonymized and within the patients’ consent, and every offer, sale and export is
        recorded as a signed ledger entry.
      </p>
    </ComingLaterPanel>
  );
}
