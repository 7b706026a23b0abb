import { useId } from 'react';
import type { BasketItem } from '../../../shared/research/research-meta';
import { ErrorNote } from '../../app/error-note';
import { useAction } from '../../app/use-action';
import { shortAddress } from './query-words';

/** A PHD amount times a count, in decimal (amounts have at most 6 decimals: exact in micro-PHD). */
export function totalPrice(pricePerRecord: string, records: number): string {
  const [whole, fraction = ''] = pricePerRecord.split('.');
  const micro = BigInt(whole!) * 1_000_000n + BigInt(fraction.padEnd(6, '0')) * 1n;
  const total = micro * BigInt(records);
  const wholePart = total / 1_000_000n;
  const rest = (total % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return rest === '' ? wholePart.toString() : `${wholePart}.${rest}`;
}

/**
 * Marketplace › Basket (issue 14 item 5): the KEY-list rows selected across clinics, with each
 * clinic's offer and the price they come to. The purchase request (my-purchases.tsx) starts from here.
 */
export function BasketSection({ basket, names, onBasket }: { basket: readonly BasketItem[]; names: ReadonlyMap<string, string>; onBasket: (items: readonly BasketItem[]) => Promise<void> }) {
  const headingId = useId();
  const remove = useAction(async (item: BasketItem) => onBasket(basket.filter((other) => other !== item)));
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Basket</h2>
      {basket.length === 0 ? (
        <p className="muted">Empty. Select rows of a clinic’s KEY list under “Your queries” to add them.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Clinic</th>
                <th scope="col">Records</th>
                <th scope="col">Price</th>
                <th scope="col">Offer</th>
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {basket.map((item) => (
                <tr key={`${item.queryId}:${item.clinic}`}>
                  <th scope="row">{names.get(item.clinic) ?? shortAddress(item.clinic)}</th>
                  <td>{item.keys.length.toLocaleString('en')}</td>
                  <td>
                    {totalPrice(item.offer.pricePerRecord, item.keys.length)} PHD <span className="muted">({item.offer.pricePerRecord} per record)</span>
                  </td>
                  <td>
                    <code title={item.offer.offerId}>{item.offer.offerId.slice(0, 10)}…</code>, until {new Date(item.offer.validUntil).toLocaleDateString()}
                  </td>
                  <td>
                    <button type="button" className="button" disabled={remove.busy} onClick={() => void remove.run(item)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {remove.error !== null && <ErrorNote error={remove.error} what="The basket was not changed" />}
      {basket.length > 0 && <p className="muted">Request the purchase of the basket under “Purchases”: a signed request goes to each clinic. Payment in escrow and delivery come with later parts of the purchase.</p>}
    </section>
  );
}
