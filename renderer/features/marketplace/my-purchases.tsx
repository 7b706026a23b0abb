import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { ErrorNote } from '../../app/error-note';
import { TextField } from '../../app/form/text-field';
import { useDataSearch } from '../../app/research-context';
import { useAction } from '../../app/use-action';
import type { PaymentState } from '../../research/escrow-payment';
import type { MyPurchase, MyPurchaseState } from '../../research/purchases';
import { phdString } from '../../../shared/research/purchase-request';
import { useVaultIndexing } from '../../vault/vault-context';

const STATE_WORDS: Readonly<Record<MyPurchaseState, string>> = { sent: 'Sent, waiting for the clinic', accepted: 'Accepted (notarized)', declined: 'Declined', expired: 'Expired without an answer' };

/**
 * Marketplace › Request purchase and Your purchases (issue 15 item 1, a research node): the basket
 * becomes one signed purchase request per clinic (its offers, the selected keys, the offer's price,
 * the stated purpose, the payment address, an expiry of 1 to 7 days), and each request's answer is
 * shown per clinic: accepted with the notary's leaf of the clinic's acceptance, or declined and why
 * ("offer already sold").
 *
 * Payment (issue 15 item 2): an accepted purchase whose clinic named its key keepers is paid into
 * the network's escrow from this node's account, in one click (approve, then deposit); the row then
 * shows the deposit and how many blocks deep it is of the network's confirmation depth.
 */

/** PHD's smallest units as a PHD amount (prices are in millionths; finer digits are dropped). */
function phdOf(units: bigint): string {
  return phdString(units / 10n ** 12n);
}

const ESCROW_WORDS: Readonly<Record<string, string>> = {
  Deposited: 'Paid into escrow',
  KeysReleased: 'Paid into escrow, keys released',
  Paid: 'Paid out to the clinic and keepers',
  Reclaimed: 'Reclaimed (nothing was delivered in time)',
};

function PaymentCell({ purchase, onPaid }: { purchase: MyPurchase; onPaid: () => void }) {
  const purchases = useDataSearch()?.purchases;
  const [payment, setPayment] = useState<PaymentState | { state: 'loading' } | { state: 'failed'; error: unknown }>({ state: 'loading' });
  const refresh = useCallback(() => {
    purchases?.payment(purchase.purchaseId).then(setPayment, (error: unknown) => setPayment({ state: 'failed', error }));
  }, [purchases, purchase.purchaseId]);
  useEffect(refresh, [refresh]);
  const pay = useAction(async () => {
    setPayment(await purchases!.pay(purchase.purchaseId));
    onPaid();
  });
  const reclaim = useAction(async () => {
    setPayment(await purchases!.reclaim(purchase.purchaseId));
    onPaid();
  });
  if (payment.state === 'loading') return <span className="muted">Checking…</span>;
  if (payment.state === 'failed') return <ErrorNote error={payment.error} what="The payment could not be checked" />;
  if (payment.state === 'no-chain') return <span className="muted">The network names no chain to pay on.</span>;
  if (payment.state === 'deposited') {
    const deep = payment.confirmations >= payment.required;
    return (
      <span>
        {ESCROW_WORDS[payment.escrowState] ?? payment.escrowState}: {phdOf(payment.amount)} PHD
        <span className="muted">
          {' '}
          ({deep ? 'confirmed' : `${payment.confirmations} of ${payment.required} confirmations`})
        </span>
        {!deep && (
          <button type="button" className="button button--small" onClick={refresh}>
            Check again
          </button>
        )}
        {/* Nothing released by the deadline: the deposit goes back to the buyer (the contract checks both). */}
        {payment.reclaimable && (
          <button type="button" className="button button--small" disabled={reclaim.busy} onClick={() => void reclaim.run()}>
            Reclaim the deposit
          </button>
        )}
        {reclaim.error !== null && <ErrorNote error={reclaim.error} what="The deposit was not reclaimed" />}
      </span>
    );
  }
  if (purchase.keepers === null || purchase.keepers.length === 0) return <span className="muted">Not payable: the clinic named no key keepers.</span>;
  return (
    <span>
      <button type="button" className="button button--small" disabled={pay.busy} onClick={() => void pay.run()}>
        {pay.busy ? 'Paying…' : `Pay ${purchase.total} PHD into escrow`}
      </button>
      {pay.error !== null && <ErrorNote error={pay.error} what="The purchase was not paid" />}
    </span>
  );
}
export function MyPurchases({ basketSize, node }: { basketSize: number; node: string }) {
  const search = useDataSearch();
  const purchases = search?.purchases;
  const indexing = useVaultIndexing();
  const headingId = useId();
  const formId = useId();
  const [purposeText, setPurposeText] = useState('');
  const [paymentAddress, setPaymentAddress] = useState(node);
  const [days, setDays] = useState('7');
  const [sent, setSent] = useState<number | null>(null);
  const [loaded, setLoaded] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; purchases: MyPurchase[] }>({ phase: 'loading' });
  const [balance, setBalance] = useState<bigint | null>(null);

  const loadBalance = useCallback(() => {
    purchases?.balance().then(setBalance, () => setBalance(null));
  }, [purchases]);
  const load = useCallback(() => {
    purchases?.mine().then(
      (list) => setLoaded({ phase: 'ready', purchases: list }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
    loadBalance();
  }, [purchases, loadBalance]);
  useEffect(() => {
    if (!indexing.busy) load();
  }, [load, indexing.busy]);

  const faucet = useAction(async () => {
    await purchases!.faucet();
    loadBalance();
  });
  const request = useAction(async () => {
    const ids = await purchases!.request({ purposeText, paymentAddress: paymentAddress.trim(), days: Number(days) });
    setSent(ids.length);
    load();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void request.run();
  };

  if (purchases === undefined) return null;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Purchases</h2>
      {basketSize > 0 && (
        <form className="form" aria-labelledby={formId} onSubmit={submit} noValidate>
          <h3 id={formId}>Request purchase of the basket</h3>
          <p className="muted">One signed request goes to each clinic in the basket, for its offers at their price. Clinics accept or decline; an accepted offer is sold to you only.</p>
          <div className="field">
            <label className="field__label" htmlFor={`${formId}-purpose`}>
              Purpose of the study
            </label>
            <textarea id={`${formId}-purpose`} className="input" value={purposeText} maxLength={2000} rows={3} onChange={(event) => setPurposeText(event.target.value)} />
          </div>
          <TextField label="Payment address" hint="The EVM account the price will be deposited from (checksummed)." value={paymentAddress} onValue={setPaymentAddress} spellCheck={false} autoComplete="off" />
          <TextField label="Days the clinics may take (1 to 7)" value={days} onValue={setDays} inputMode="numeric" className="field--narrow" />
          <button type="submit" className="button button--primary" disabled={request.busy}>
            Request purchase
          </button>
          {sent !== null && request.error === null && <p role="status">{sent === 1 ? 'One request was sent.' : `${sent} requests were sent.`}</p>}
          {request.error !== null && <ErrorNote error={request.error} what="The purchase request was not sent" />}
        </form>
      )}
      {balance !== null && (
        <div className="form-actions">
          <p className="muted">This node&rsquo;s account holds {phdOf(balance)} PHD on the network&rsquo;s chain.</p>
          {balance === 0n && (
            <button type="button" className="button button--small" disabled={faucet.busy} onClick={() => void faucet.run()}>
              Get demo PHD
            </button>
          )}
          {faucet.error !== null && <ErrorNote error={faucet.error} what="No demo PHD was given" />}
        </div>
      )}
      {loaded.phase === 'loading' && <p role="status">Loading your purchases…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="Your purchases could not be loaded" />}
      {loaded.phase === 'ready' && loaded.purchases.length === 0 && <p className="muted">No purchase requested yet.</p>}
      {loaded.phase === 'ready' && loaded.purchases.length > 0 && (
        <div className="table-wrap">
          <table className="data-table my-purchases" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Clinic</th>
                <th scope="col">Records</th>
                <th scope="col">Total</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col">Payment</th>
              </tr>
            </thead>
            <tbody>
              {loaded.purchases.map((purchase) => (
                <tr key={purchase.purchaseId}>
                  <th scope="row">{purchase.institution}</th>
                  <td>{purchase.records.toLocaleString('en')}</td>
                  <td>{purchase.total} PHD</td>
                  <td>
                    <time dateTime={purchase.expiresAt}>{new Date(purchase.expiresAt).toLocaleString()}</time>
                  </td>
                  <td>
                    {STATE_WORDS[purchase.state]}
                    {purchase.reason !== null && `: ${purchase.reason}`}
                    {purchase.receipt !== null && <span className="muted"> (notary leaf {purchase.receipt.leafIndex.toLocaleString('en')})</span>}
                    {purchase.delivery !== undefined && purchase.delivery !== null && (
                      <span className="purchase-delivery">
                        <br />
                        Delivered: {purchase.delivery.released.toLocaleString('en')} records, k = {purchase.delivery.k}, ℓ = {purchase.delivery.l}; {(purchase.delivery.size / 1024).toFixed(0)} KiB sealed, its key with {purchase.delivery.keepers.length} keepers ({purchase.delivery.threshold} needed)
                        <span className="muted"> (notary leaf {purchase.delivery.delivery.leafIndex.toLocaleString('en')})</span>
                      </span>
                    )}
                  </td>
                  <td>{purchase.state === 'accepted' ? <PaymentCell purchase={purchase} onPaid={loadBalance} /> : <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
