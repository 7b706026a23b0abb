import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { ErrorNote } from '../../app/error-note';
import { TextField } from '../../app/form/text-field';
import { useDataSearch } from '../../app/research-context';
import { useAction } from '../../app/use-action';
import type { MyPurchase, MyPurchaseState } from '../../research/purchases';
import { useVaultIndexing } from '../../vault/vault-context';

const STATE_WORDS: Readonly<Record<MyPurchaseState, string>> = { sent: 'Sent, waiting for the clinic', accepted: 'Accepted (notarized)', declined: 'Declined', expired: 'Expired without an answer' };

/**
 * Marketplace › Request purchase and Your purchases (issue 15 item 1, a research node): the basket
 * becomes one signed purchase request per clinic (its offers, the selected keys, the offer's price,
 * the stated purpose, the payment address, an expiry of 1 to 7 days), and each request's answer is
 * shown per clinic: accepted with the notary's leaf of the clinic's acceptance, or declined and why
 * ("offer already sold").
 */
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

  const load = useCallback(() => {
    purchases?.mine().then(
      (list) => setLoaded({ phase: 'ready', purchases: list }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
  }, [purchases]);
  useEffect(() => {
    if (!indexing.busy) load();
  }, [load, indexing.busy]);

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
