import { useCallback, useEffect, useId, useState } from 'react';
import { ErrorNote } from '../../app/error-note';
import { useDataSearch } from '../../app/research-context';
import { useAction } from '../../app/use-action';
import type { IncomingPurchase, IncomingPurchaseState, KeepersHolding, ReleaseSummary, WhatLeft as WhatLeftRecord } from '../../research/purchases';
import { PURPOSE_LABELS } from '../patients/patient-consent';
import type { PurchaseDeliveredMeta } from '../../../shared/research/research-meta';
import { useCurrentOperator, useVaultIndexing } from '../../vault/vault-context';
import { shortAddress } from './query-words';

const STATE_WORDS: Readonly<Record<IncomingPurchaseState, string>> = {
  waiting: 'Waiting',
  accepted: 'Accepted, waiting for the notary',
  notarized: 'Accepted and notarized',
  declined: 'Declined',
  expired: 'Expired',
};

/**
 * Marketplace › Purchase requests (issue 15 item 1, a clinic node): the researchers' signed
 * requests to buy keys of this clinic's offers. An administrator accepts (the offers are claimed at
 * the network's notary first, so an offer is sold once) or declines each; the researcher is told
 * "accepted" only once the acceptance is notarized.
 *
 * "Check the release" (issue 15 item 3), on an accepted purchase: the purchased records are
 * de-identified on this node (Safe Harbor, then k-anonymity and ℓ-diversity, verified by an
 * independent count) and the administrator sees whether they can be released and how, or why not.
 * Nothing leaves the node.
 */
function ReleaseCheck({ purchaseId, delivery, holding, onDelivered }: { purchaseId: string; delivery: PurchaseDeliveredMeta | null; holding: KeepersHolding | null; onDelivered: () => void }) {
  const purchases = useDataSearch()?.purchases;
  const [summary, setSummary] = useState<ReleaseSummary | null>(null);
  const check = useAction(async () => setSummary(await purchases!.checkRelease(purchaseId)));
  const release = useAction(async () => {
    await purchases!.release(purchaseId);
    onDelivered();
  });
  if (delivery !== null) {
    return (
      <>
        <span className="release-check" role="status">
          {' '}
          Delivered: {delivery.released.toLocaleString('en')} records ({delivery.suppressed} suppressed), k = {delivery.k}, ℓ = {delivery.l}
          {delivery.dicom !== undefined && delivery.dicom.instances + delivery.dicom.excluded > 0 && `, ${delivery.dicom.instances.toLocaleString('en')} DICOM instances (${delivery.dicom.excluded.toLocaleString('en')} left out)`}; {(delivery.size / 1024).toFixed(0)} KiB sealed, its key with{' '}
          {delivery.keepers.length} keepers ({delivery.threshold} needed)
          {holding !== null && (
            <>
              ; {holding.stored} of {delivery.keepers.length} keepers confirmed they keep their share
              {holding.refused.length > 0 && ` (refused: ${holding.refused.map((r) => r.reason).join(', ')})`}
            </>
          )}
        </span>{' '}
        <WhatLeft purchaseId={purchaseId} />
      </>
    );
  }
  const left = summary === null ? '' : [summary.missing > 0 ? `${summary.missing} no longer in the vault` : '', summary.withdrawn > 0 ? `${summary.withdrawn} withdrew consent` : ''].filter(Boolean).join(', ');
  return (
    <span className="release-check">
      <button type="button" className="button button--small" disabled={check.busy} onClick={() => void check.run()}>
        {check.busy ? 'Checking…' : 'Check the release'}
      </button>
      {summary?.ok === true && (
        <span role="status">
          {' '}
          Releasable: {summary.released.toLocaleString('en')} of {summary.records.toLocaleString('en')} records ({summary.suppressed} suppressed{left ? `; ${left}` : ''}), k = {summary.achieved.k} (at least {summary.required.k}), ℓ = {summary.achieved.l} (at least {summary.required.l}); report{' '}
          <code title={summary.reportSha256}>{summary.reportSha256.slice(0, 12)}…</code>
          {summary.dicom !== undefined && summary.dicom.instances > 0 && `; ${summary.dicom.instances.toLocaleString('en')} DICOM instances of ${summary.dicom.patients.toLocaleString('en')} patients, de-identified at release (burned-in and high-risk ones are left out then)`}
        </span>
      )}
      {summary?.ok === false && (
        <span role="status">
          {' '}
          Not releasable{left ? ` (${left})` : ''}: {summary.reason}
        </span>
      )}
      {summary?.ok === true && (
        <button type="button" className="button button--small button--primary" disabled={release.busy} onClick={() => void release.run()}>
          {release.busy ? 'Sealing and uploading…' : 'Release and deliver'}
        </button>
      )}
      {check.error !== null && <ErrorNote error={check.error} what="The release could not be checked" />}
      {release.error !== null && <ErrorNote error={release.error} what="The dataset was not delivered" />}
    </span>
  );
}
const PROFILE_WORDS: Readonly<Record<'safe-harbor' | 'longitudinal', string>> = { 'safe-harbor': 'HIPAA Safe Harbor (dates as years), then k-anonymity and ℓ-diversity', longitudinal: 'date-shifted (not Safe Harbor), then k-anonymity and ℓ-diversity' };

/**
 * "What left" (issue 15 item 8), on a delivered purchase: the clinic's own record of the release,
 * read from its journal: the researcher, the records, each patient's pseudonym in the dataset with
 * the patient's name resolved on this node (nowhere else can), the purpose their consent was
 * checked for, the profile, k and ℓ. Administrators only; nothing here leaves the node.
 */
function WhatLeft({ purchaseId }: { purchaseId: string }) {
  const purchases = useDataSearch()?.purchases;
  const [record, setRecord] = useState<WhatLeftRecord | null>(null);
  const [shown, setShown] = useState(false);
  const load = useAction(async () => setRecord(await purchases!.whatLeft(purchaseId)));
  const headingId = useId();
  const toggle = () => {
    if (!shown && record === null) void load.run();
    setShown(!shown);
  };
  const { delivery } = record ?? {};
  return (
    <span className="what-left">
      <button type="button" className="button button--small" aria-expanded={shown} onClick={toggle}>
        {shown ? 'Hide what left' : 'What left'}
      </button>
      {shown && load.busy && <span role="status"> Reading the record of the release…</span>}
      {shown && load.error !== null && <ErrorNote error={load.error} what="The record of what left could not be read" />}
      {shown && record !== null && delivery !== undefined && (
        <section className="what-left__record" aria-labelledby={headingId}>
          <h3 id={headingId}>What left in this dataset</h3>
          <dl className="facts">
            <dt>To</dt>
            <dd>
              {record.institution ?? 'A researcher no longer in the network map'} <code title={record.researcher}>{shortAddress(record.researcher)}</code>
            </dd>
            <dt>Records</dt>
            <dd>
              {delivery.released.toLocaleString('en')} patients ({delivery.suppressed} suppressed for k and ℓ)
              {delivery.dicom !== undefined && `; ${delivery.dicom.instances.toLocaleString('en')} DICOM instances, ${delivery.dicom.excluded.toLocaleString('en')} left out by the Annex E profile`}
            </dd>
            <dt>Purpose</dt>
            <dd>
              {delivery.purpose === undefined ? 'Not recorded' : PURPOSE_LABELS[delivery.purpose]}
              {delivery.consentMode !== undefined && ` (consent checked at release, ${delivery.consentMode} policy)`}: “{record.purposeText}”
            </dd>
            <dt>Profile</dt>
            <dd>{delivery.profile === undefined ? 'Not recorded' : PROFILE_WORDS[delivery.profile]}</dd>
            <dt>Anonymity</dt>
            <dd>
              k = {delivery.k}, ℓ = {delivery.l}
            </dd>
          </dl>
          {!record.recorded && <p className="muted">This delivery was made before the node recorded which patients left in it.</p>}
          {record.patients.length > 0 && (
            <table className="data-table what-left__patients" aria-label="Patients in this dataset">
              <thead>
                <tr>
                  <th scope="col">Pseudonym in the dataset</th>
                  <th scope="col">Patient (on this node only)</th>
                </tr>
              </thead>
              <tbody>
                {record.patients.map((patient) => (
                  <tr key={patient.pseudonym}>
                    <td>
                      <code>{patient.pseudonym}</code>
                    </td>
                    <td>{patient.name === null ? <span className="muted">Erased since</span> : `${patient.name}${patient.identifier === null ? '' : ` (${patient.identifier})`}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </span>
  );
}

export function PurchaseRequests({ answering }: { answering: 'automatic' | 'review' }) {
  const search = useDataSearch();
  const purchases = search?.purchases;
  const operator = useCurrentOperator();
  const indexing = useVaultIndexing();
  const headingId = useId();
  const [loaded, setLoaded] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; requests: IncomingPurchase[] }>({ phase: 'loading' });

  const load = useCallback(() => {
    purchases?.incoming().then(
      (requests) => setLoaded({ phase: 'ready', requests }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
  }, [purchases]);
  // Again whenever a replay ends: a request the body journaled, or a receipt, reaches the views by one.
  useEffect(() => {
    if (!indexing.busy) load();
  }, [load, indexing.busy]);

  const act = useAction(async (what: 'accept' | 'decline', purchaseId: string) => {
    try {
      if (what === 'accept') await purchases!.accept(purchaseId);
      else await purchases!.decline(purchaseId);
    } finally {
      load();
    }
  });

  if (purchases === undefined) return null;
  const admin = operator?.role === 'admin';
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Purchase requests</h2>
      <p className="muted">
        {answering === 'automatic'
          ? 'Requests that pass every check are accepted automatically within the research policy (Settings › Research) while the vault is unlocked.'
          : 'An administrator accepts or declines each request.'}{' '}
        A request is checked before it is accepted: the researcher’s signature and membership, the offer (made by this clinic to that researcher, still open, not sold), its
        price, and that every key is from the answer. Acceptance claims the offer at the network’s notary, so it is sold once.
      </p>
      {act.error !== null && <ErrorNote error={act.error} what="The request was not accepted" />}
      {loaded.phase === 'loading' && <p role="status">Loading the purchase requests…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The purchase requests could not be loaded" />}
      {loaded.phase === 'ready' && loaded.requests.length === 0 && <p className="muted">No purchase request has arrived yet.</p>}
      {loaded.phase === 'ready' && loaded.requests.length > 0 && (
        <div className="table-wrap">
          <table className="data-table purchase-requests" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Researcher</th>
                <th scope="col">Offer</th>
                <th scope="col">Records</th>
                <th scope="col">Total</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {loaded.requests.map((purchase) => (
                <tr key={purchase.purchaseId}>
                  <th scope="row">
                    {purchase.institution ?? `${shortAddress(purchase.request.researcher)} (not a current member)`}
                    <br />
                    <span className="muted">{purchase.request.purposeText}</span>
                  </th>
                  <td>
                    {purchase.request.offerIds.map((offerId) => (
                      <code key={offerId} title={offerId}>
                        {offerId.slice(0, 10)}…{' '}
                      </code>
                    ))}
                  </td>
                  <td>{purchase.request.keys.length.toLocaleString('en')}</td>
                  <td>
                    {purchase.request.total} PHD <span className="muted">({purchase.request.pricePerRecord} per record)</span>
                  </td>
                  <td>
                    <time dateTime={purchase.request.expiresAt}>{new Date(purchase.request.expiresAt).toLocaleString()}</time>
                  </td>
                  <td>
                    {STATE_WORDS[purchase.state]}
                    {purchase.reason !== null && `: ${purchase.reason}`}
                    {purchase.leafIndex !== null && <span className="muted"> (notary leaf {purchase.leafIndex.toLocaleString('en')})</span>}
                    {admin && (purchase.state === 'accepted' || purchase.state === 'notarized') && <ReleaseCheck purchaseId={purchase.purchaseId} delivery={purchase.delivery ?? null} holding={purchase.keepersHolding ?? null} onDelivered={load} />}
                    {purchase.state === 'waiting' &&
                      (admin ? (
                        <span className="row-actions">
                          <button type="button" className="button button--primary" disabled={act.busy} onClick={() => void act.run('accept', purchase.purchaseId)}>
                            Accept
                          </button>
                          <button type="button" className="button" disabled={act.busy} onClick={() => void act.run('decline', purchase.purchaseId)}>
                            Decline
                          </button>
                        </span>
                      ) : (
                        <span className="muted"> An administrator accepts or declines it.</span>
                      ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
