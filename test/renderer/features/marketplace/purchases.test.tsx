// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { NetworkState } from '../../../../shared/ipc/network-contract';
import type { BasketItem } from '../../../../shared/research/research-meta';
import type { DataSearch } from '../../../../renderer/app/research-context';
import type { PaymentState } from '../../../../renderer/research/escrow-payment';
import type { IncomingPurchase, MyPurchase, PurchaseRequestInput } from '../../../../renderer/research/purchases';
import type { OperatorRole } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * Marketplace › Purchase requests and Purchases (issue 15 item 1) against a fake mind: a clinic's
 * administrator sees each request (researcher, offer, records, total, expiry, status) and accepts or
 * declines it, a clinician only sees; a research institute requests the purchase of its basket with
 * a purpose, a payment address and days, and reads each clinic's answer ("offer already sold").
 */

const ME = '0x1111111111111111111111111111111111111111';
const CLINIC_A = '0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa';
const CLINIC_B = '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB';
const RESEARCHER = '0x3333333333333333333333333333333333333333';

function network(roles: NetworkState['roles']): NetworkState {
  return {
    url: 'https://hdms.example.org',
    network: { name: 'Example Network', address: '0x2222222222222222222222222222222222222222', chainId: 31337, fingerprint: 'AAAA' },
    node: ME,
    roles,
    status: 'approved',
    certificate: null,
    map: {
      epoch: 2,
      members: [
        { address: CLINIC_A, legalName: 'Lakeside Clinic', country: 'CH', roles: ['clinic'] },
        { address: CLINIC_B, legalName: 'Hillside Clinic', country: 'CH', roles: ['clinic'] },
        { address: RESEARCHER, legalName: 'North Research Institute', country: 'DE', roles: ['research'] },
      ],
      witnessQuorum: 0,
      minAppVersion: '0.1.0',
      logKey: '',
    },
    joinedAt: '2026-12-04T10:00:00.000Z',
    lastContactAt: '2026-12-04T10:00:00.000Z',
    problem: null,
    sync: null,
  };
}

const OFFER = { offerId: `0x${'ef'.repeat(32)}`, currency: 'PHD' as const, pricePerRecord: '2.5', profile: 'hipaa-safe-harbor-k' as const, k: 5, records: 12, validUntil: '2099-01-01T00:00:00.000Z' };
const key = (i: number) => `${i.toString(16).padStart(8, '0')}${'0'.repeat(24)}`;

const REQUEST: IncomingPurchase['request'] = {
  purchaseId: `0x${'5e'.repeat(16)}`,
  researcher: RESEARCHER,
  clinic: ME,
  offerIds: [OFFER.offerId],
  keys: [key(1), key(2), key(3)],
  currency: 'PHD',
  pricePerRecord: '2.5',
  total: '7.5',
  purpose: 'research-sale',
  purposeText: 'HbA1c trajectories',
  paymentAddress: RESEARCHER,
  answerKey: `0x04${'cd'.repeat(64)}`,
  createdAt: '2026-12-04T10:00:00.000Z',
  expiresAt: '2099-01-01T00:00:00.000Z',
};

const delivered = {
  v: 1 as const,
  purchaseId: `0x${'7a'.repeat(16)}`,
  researcher: `0x${'ef'.repeat(20)}`,
  deliveryId: 'cd'.repeat(16),
  size: 40_960,
  ciphertextSha256: 'aa'.repeat(32),
  commitment: 'bb'.repeat(32),
  manifestSha256: 'cc'.repeat(32),
  reportSha256: 'ab'.repeat(32),
  released: 3,
  suppressed: 0,
  k: 5,
  l: 2,
  keepers: [`0x${'01'.repeat(20)}`, `0x${'02'.repeat(20)}`, `0x${'03'.repeat(20)}`],
  threshold: 2,
};

function fakeSearch({ incoming = [], mine = [], basket = [] }: { incoming?: IncomingPurchase[]; mine?: MyPurchase[]; basket?: BasketItem[] } = {}) {
  const handled: [string, string][] = [];
  const requested: PurchaseRequestInput[] = [];
  const paid: string[] = [];
  const payments = new Map<string, PaymentState>();
  let funded = false;
  const search: DataSearch = {
    inbox: { incoming: async () => [], answer: async () => undefined, decline: async () => undefined },
    queries: { post: async () => '', list: async () => [], results: async () => Promise.reject(new Error('none')), basket: async () => basket, setBasket: async () => undefined },
    purchases: {
      incoming: async () => incoming,
      accept: async (id) => {
        handled.push(['accept', id]);
        return 'accepted';
      },
      decline: async (id) => void handled.push(['decline', id]),
      request: async (input) => {
        requested.push(input);
        return [`0x${'77'.repeat(16)}`];
      },
      mine: async () => mine,
      payment: async (id) => payments.get(id) ?? { state: 'unpaid' },
      pay: async (id) => {
        paid.push(id);
        const deposited = { state: 'deposited' as const, escrowState: 'Deposited' as const, amount: 5n * 10n ** 18n, confirmations: 1, required: 2, deadline: Date.parse('2099-01-01T00:00:00.000Z') / 1000, settleableAt: null, reclaimable: false };
        payments.set(id, deposited);
        return deposited;
      },
      reclaim: async (id) => {
        paid.push(`reclaim ${id}`);
        const reclaimed = { state: 'deposited' as const, escrowState: 'Reclaimed' as const, amount: 5n * 10n ** 18n, confirmations: 3, required: 2, deadline: 1, settleableAt: null, reclaimable: false };
        payments.set(id, reclaimed);
        return reclaimed;
      },
      balance: async () => (funded ? 10_000n * 10n ** 18n - BigInt(paid.length) * 5n * 10n ** 18n : 0n),
      checkRelease: async (id) =>
        id === `0x${'7a'.repeat(16)}`
          ? { ok: true, records: 3, released: 3, suppressed: 0, required: { k: 5, l: 2 }, achieved: { k: 5, l: 2 }, reportSha256: 'ab'.repeat(32), missing: 0, withdrawn: 1, dicom: { instances: 7, patients: 2 } }
          : { ok: false, records: 3, reason: 'Refused: k = 5 cannot be reached.', missing: 0, withdrawn: 0 },
      release: async (id) => {
        handled.push(['release', id]);
        return delivered;
      },
      whatLeft: async (id) => ({
        purchaseId: id,
        researcher: RESEARCHER,
        institution: 'North Research Institute',
        purposeText: 'HbA1c trajectories',
        delivery: { ...delivered, purpose: 'research-sale', consentMode: 'opt-out', profile: 'safe-harbor', dicom: { instances: 4, excluded: 1 } },
        patients: [
          { pseudonym: 'ab'.repeat(16), patientId: 'P'.repeat(22), name: 'Ada Lovelace', identifier: 'MRN0001 (HDMS-DEMO)' },
          { pseudonym: 'cd'.repeat(16), patientId: 'Q'.repeat(22), name: null, identifier: null },
        ],
        recorded: true,
      }),
      datasetsOfPatient: async () => [],
      faucet: async () => {
        funded = true;
        return { funded: true, gasWei: '1000000000000000000', phd: '10000000000000000000000' };
      },
    },
  };
  return { search, handled, requested, paid, payments };
}

function open(role: OperatorRole, roles: NetworkState['roles'], search: DataSearch) {
  const node = createFakeNode({ vault: { state: 'unlocked' } });
  node.state.network = network(roles);
  const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Someone', role, passphrase: ADMIN_PASSPHRASE }] });
  renderApp(node, '#/marketplace', vault, undefined, undefined, undefined, search);
}

describe('Marketplace purchases', () => {
  const waiting: IncomingPurchase = { purchaseId: REQUEST.purchaseId, request: REQUEST, institution: 'North Research Institute', receivedAt: Date.parse('2026-12-04T10:01:00.000Z'), state: 'waiting', reason: null, leafIndex: null };
  const sold: IncomingPurchase = { ...waiting, purchaseId: `0x${'6f'.repeat(16)}`, state: 'declined', reason: 'offer already sold' };
  const done: IncomingPurchase = { ...waiting, purchaseId: `0x${'7a'.repeat(16)}`, state: 'notarized', leafIndex: 41 };

  it('a clinic administrator sees each request (researcher, offer, records, total, status) and accepts or declines a waiting one', async () => {
    const { search, handled } = fakeSearch({ incoming: [waiting, sold, done] });
    open('admin', ['clinic'], search);
    const table = await screen.findByRole('table', { name: 'Purchase requests' });
    const [, first, second, third] = within(table).getAllByRole('row');
    expect(first!.textContent).toMatch(/North Research Institute.*HbA1c trajectories.*0xefefefef….*3.*7\.5 PHD.*2\.5 per record.*Waiting/);
    expect(second!.textContent).toContain('Declined: offer already sold');
    expect(third!.textContent).toContain('Accepted and notarized (notary leaf 41)');
    expect(within(second!).queryByRole('button', { name: 'Accept' })).toBeNull();
    fireEvent.click(within(first!).getByRole('button', { name: 'Accept' }));
    await waitFor(() => expect(handled).toEqual([['accept', REQUEST.purchaseId]]));
    // Both buttons are disabled while the accept settles: a click before then is (rightly) dropped.
    const decline = within(first!).getByRole('button', { name: 'Decline' }) as HTMLButtonElement;
    await waitFor(() => expect(decline.disabled).toBe(false));
    fireEvent.click(decline);
    await waitFor(() => expect(handled).toEqual([['accept', REQUEST.purchaseId], ['decline', REQUEST.purchaseId]]));
  });

  it('an administrator checks an accepted purchase’s release on this node, then releases it', async () => {
    const { search, handled } = fakeSearch({ incoming: [waiting, done] });
    open('admin', ['clinic'], search);
    const table = await screen.findByRole('table', { name: 'Purchase requests' });
    const [, first, third] = within(table).getAllByRole('row');
    expect(within(first!).queryByRole('button', { name: 'Check the release' })).toBeNull();
    fireEvent.click(within(third!).getByRole('button', { name: 'Check the release' }));
    expect((await within(third!).findByRole('status')).textContent).toMatch(/Releasable: 3 of 3 records \(0 suppressed; 1 withdrew consent\), k = 5 \(at least 5\), ℓ = 2 \(at least 2\); report abababababab…; 7 DICOM instances of 2 patients, de-identified at release/);
    fireEvent.click(within(third!).getByRole('button', { name: 'Release and deliver' }));
    await waitFor(() => expect(handled).toContainEqual(['release', `0x${'7a'.repeat(16)}`]));
  });

  it('a delivered purchase shows what left and who holds its key', async () => {
    open('admin', ['clinic'], fakeSearch({ incoming: [{ ...done, delivery: delivered }] }).search);
    const table = await screen.findByRole('table', { name: 'Purchase requests' });
    expect((await within(table).findByRole('status')).textContent).toMatch(/Delivered: 3 records \(0 suppressed\), k = 5, ℓ = 2; 40 KiB sealed, its key with 3 keepers \(2 needed\)/);
    expect(within(table).queryByRole('button', { name: 'Check the release' })).toBeNull();
  });

  it('What left: the researcher, the records, each pseudonym with the patient’s name on this node, the purpose, the profile, k and ℓ', async () => {
    open('admin', ['clinic'], fakeSearch({ incoming: [{ ...done, delivery: { ...delivered, dicom: { instances: 4, excluded: 1 } } }] }).search);
    const table = await screen.findByRole('table', { name: 'Purchase requests' });
    expect((await within(table).findByRole('status')).textContent).toMatch(/Delivered: 3 records \(0 suppressed\), k = 5, ℓ = 2, 4 DICOM instances \(1 left out\); 40 KiB sealed/);
    fireEvent.click(await within(table).findByRole('button', { name: 'What left' }));
    const record = await within(table).findByRole('region', { name: 'What left in this dataset' });
    expect(record.textContent).toMatch(/North Research Institute/);
    expect(record.textContent).toMatch(/3 patients \(0 suppressed for k and ℓ\); 4 DICOM instances, 1 left out/);
    expect(record.textContent).toMatch(/Research, with sale of anonymized data \(consent checked at release, opt-out policy\): “HbA1c trajectories”/);
    expect(record.textContent).toMatch(/HIPAA Safe Harbor/);
    expect(record.textContent).toMatch(/k = 5, ℓ = 2/);
    const rows = within(within(record).getByRole('table', { name: 'Patients in this dataset' })).getAllByRole('row');
    expect(rows[1]!.textContent).toBe(`${'ab'.repeat(16)}Ada Lovelace (MRN0001 (HDMS-DEMO))`);
    expect(rows[2]!.textContent).toBe(`${'cd'.repeat(16)}Erased since`);
  });

  it('a clinician sees the requests but does not decide them', async () => {
    open('clinician', ['clinic'], fakeSearch({ incoming: [waiting, done] }).search);
    const table = await screen.findByRole('table', { name: 'Purchase requests' });
    expect(within(table).queryByRole('button', { name: 'Accept' })).toBeNull();
    expect(within(table).queryByRole('button', { name: 'Check the release' })).toBeNull();
    expect(table.textContent).toContain('An administrator accepts or declines it.');
  });

  it('a research institute requests the purchase of its basket and sees each clinic’s answer', async () => {
    const basket: BasketItem[] = [{ queryId: `0x${'ab'.repeat(32)}`, clinic: CLINIC_A, offer: OFFER, keys: [key(1), key(2)] }];
    const mine: MyPurchase[] = [
      { purchaseId: `0x${'77'.repeat(16)}`, clinic: CLINIC_A, institution: 'Lakeside Clinic', offerIds: [OFFER.offerId], records: 2, total: '5', expiresAt: '2099-01-01T00:00:00.000Z', state: 'accepted', reason: null, receipt: { seq: 9, entryDigest: `0x${'01'.repeat(32)}`, leafIndex: 12, integratedAt: 1 }, keepers: [CLINIC_B, CLINIC_B, CLINIC_B], paymentAddress: ME, delivery: { type: 'dataset-delivered', purchaseId: `0x${'77'.repeat(16)}`, deliveryId: 'cd'.repeat(16), size: 20_480, ciphertextSha256: 'aa'.repeat(32), commitment: 'bb'.repeat(32), manifestSha256: 'cc'.repeat(32), reportSha256: 'dd'.repeat(32), released: 2, k: 5, l: 2, keepers: [CLINIC_B, CLINIC_A, ME], threshold: 2, delivery: { seq: 12, entryDigest: `0x${'03'.repeat(32)}`, leafIndex: 30, integratedAt: 1 } } },
      { purchaseId: `0x${'78'.repeat(16)}`, clinic: CLINIC_B, institution: 'Hillside Clinic', offerIds: [OFFER.offerId], records: 2, total: '5', expiresAt: '2099-01-01T00:00:00.000Z', state: 'declined', reason: 'offer already sold', receipt: null, keepers: null, paymentAddress: ME },
      { purchaseId: `0x${'79'.repeat(16)}`, clinic: CLINIC_B, institution: 'Quiet Clinic', offerIds: [OFFER.offerId], records: 2, total: '5', expiresAt: '2099-01-01T00:00:00.000Z', state: 'accepted', reason: null, receipt: { seq: 3, entryDigest: `0x${'02'.repeat(32)}`, leafIndex: 13, integratedAt: 1 }, keepers: [], paymentAddress: ME },
    ];
    const { search, requested, paid } = fakeSearch({ mine, basket });
    open('admin', ['research'], search);
    const form = await screen.findByRole('form', { name: 'Request purchase of the basket' });
    fireEvent.change(within(form).getByLabelText('Purpose of the study'), { target: { value: 'HbA1c trajectories' } });
    expect((within(form).getByLabelText('Payment address') as HTMLInputElement).value).toBe(ME);
    fireEvent.change(within(form).getByLabelText('Days the clinics may take (1 to 7)'), { target: { value: '3' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Request purchase' }));
    await within(form).findByText('One request was sent.');
    expect(requested).toEqual([{ purposeText: 'HbA1c trajectories', paymentAddress: ME, days: 3 }]);
    const table = await screen.findByRole('table', { name: 'Purchases' });
    const [, first, second] = within(table).getAllByRole('row');
    expect(first!.textContent).toMatch(/Lakeside Clinic.*2.*5 PHD.*Accepted \(notarized\) \(notary leaf 12\)Delivered: 2 records, k = 5, ℓ = 2; 20 KiB sealed, its key with 3 keepers \(2 needed\) \(notary leaf 30\)/);
    expect(second!.textContent).toMatch(/Hillside Clinic.*Declined: offer already sold/);

    // An empty account asks the demo network's faucet; then pays: the accepted purchase with
    // keepers has a Pay button, the one without keepers says why not.
    expect(await screen.findByText('This node’s account holds 0 PHD on the network’s chain.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Get demo PHD' }));
    expect(await screen.findByText('This node’s account holds 10000 PHD on the network’s chain.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Get demo PHD' })).toBeNull();
    const [, , , third] = within(table).getAllByRole('row');
    expect(await within(third!).findByText('Not payable: the clinic named no key keepers.')).toBeTruthy();
    expect(within(second!).queryByRole('button')).toBeNull();
    fireEvent.click(await within(first!).findByRole('button', { name: 'Pay 5 PHD into escrow' }));
    await within(first!).findByText(/Paid into escrow: 5 PHD/);
    expect(first!.textContent).toContain('1 of 2 confirmations');
    expect(paid).toEqual([`0x${'77'.repeat(16)}`]);
    await screen.findByText('This node’s account holds 9995 PHD on the network’s chain.');
  });

  it('a deposit past its deadline with no keys released can be reclaimed; one before it cannot', async () => {
    const base = { clinic: CLINIC_A, institution: 'Lakeside Clinic', offerIds: [OFFER.offerId], records: 2, total: '5', expiresAt: '2026-12-01T00:00:00.000Z', state: 'accepted' as const, reason: null, receipt: { seq: 9, entryDigest: `0x${'01'.repeat(32)}`, leafIndex: 12, integratedAt: 1 }, keepers: [CLINIC_B, CLINIC_B, CLINIC_B], paymentAddress: ME };
    const late = `0x${'81'.repeat(16)}`;
    const early = `0x${'82'.repeat(16)}`;
    const { search, paid, payments } = fakeSearch({ mine: [{ ...base, purchaseId: late }, { ...base, purchaseId: early, institution: 'Hillside Clinic' }] });
    const deposited = { state: 'deposited' as const, escrowState: 'Deposited' as const, amount: 5n * 10n ** 18n, confirmations: 3, required: 2, deadline: Date.parse('2026-12-01T00:00:00.000Z') / 1000, settleableAt: null };
    payments.set(late, { ...deposited, reclaimable: true });
    payments.set(early, { ...deposited, reclaimable: false });
    open('admin', ['research'], search);
    const table = await screen.findByRole('table', { name: 'Purchases' });
    const [, lateRow, earlyRow] = within(table).getAllByRole('row');
    await within(earlyRow!).findByText(/Paid into escrow: 5 PHD/);
    expect(within(earlyRow!).queryByRole('button', { name: 'Reclaim the deposit' })).toBeNull();
    fireEvent.click(await within(lateRow!).findByRole('button', { name: 'Reclaim the deposit' }));
    await within(lateRow!).findByText(/Reclaimed \(nothing was delivered in time\): 5 PHD/);
    expect(paid).toEqual([`reclaim ${late}`]);
  });
});
