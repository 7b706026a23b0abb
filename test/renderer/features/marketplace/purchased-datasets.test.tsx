// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { NetworkState } from '../../../../shared/ipc/network-contract';
import type { DataSearch } from '../../../../renderer/app/research-context';
import type { DatasetContents, PurchasedDataset, PurchasedDatasets } from '../../../../renderer/research/purchased-datasets';
import { createFakeNode } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * Marketplace › Datasets (issue 15 item 7) against a fake mind: each delivered purchase with its
 * keepers' answers; "Ask the keepers for the key" while fewer than t released, "Open the dataset"
 * once enough did; the opened dataset's page (contents, release report, provenance with notary
 * leaves, file previews) and "Save dataset to a folder" with the folder typed.
 */

const ME = '0x1111111111111111111111111111111111111111';
const PURCHASE = `0x${'5e'.repeat(16)}`;
const KEEPERS = ['0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa', '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB', '0xcCCcCCcCCCcCCcCCcCcCcCCCccCCcCCCcCccCcCc'];

function network(): NetworkState {
  return {
    url: 'https://hdms.example.org',
    network: { name: 'Example Network', address: '0x2222222222222222222222222222222222222222', chainId: 31337, fingerprint: 'AAAA' },
    node: ME,
    roles: ['research'],
    status: 'approved',
    certificate: null,
    map: { epoch: 2, members: [], witnessQuorum: 0, minAppVersion: '0.1.0', logKey: '' },
    joinedAt: '2026-12-04T10:00:00.000Z',
    lastContactAt: '2026-12-04T10:00:00.000Z',
    problem: null,
    sync: null,
  };
}

const delivery: PurchasedDataset['delivery'] = {
  type: 'dataset-delivered',
  purchaseId: PURCHASE,
  deliveryId: 'cd'.repeat(16),
  size: 40_960,
  ciphertextSha256: 'aa'.repeat(32),
  commitment: 'bb'.repeat(32),
  manifestSha256: 'cc'.repeat(32),
  reportSha256: 'dd'.repeat(32),
  released: 37,
  k: 6,
  l: 3,
  keepers: KEEPERS,
  threshold: 2,
  delivery: { seq: 9, entryDigest: `0x${'ee'.repeat(32)}`, leafIndex: 41, integratedAt: 1 },
};

const contents: DatasetContents = {
  manifest: { v: 1, type: 'hdms.dataset-manifest', format: 'hdms-dataset-package/1', createdAt: '2026-12-04T10:00:00.000Z', profile: 'safe-harbor', releaseReportSha256: 'dd'.repeat(32), purchaseId: PURCHASE, offerIds: ['o1'], counts: { Patient: 37, Observation: 120, Condition: 0 }, files: [] },
  report: {
    v: 1,
    type: 'hdms.deid-release-report',
    createdAt: '2026-12-04T10:00:00.000Z',
    releaseDate: '2026-12-04',
    profile: 'safe-harbor',
    method: 'Safe Harbor',
    required: { k: 5, l: 2, maxSuppression: 0.05 },
    achieved: { k: 6, l: 3, classes: 4 },
    sensitiveAttribute: 'diagnosis',
    quasiIdentifiers: [{ name: 'age', level: 2, height: 4, meaning: '10-year bands' }],
    recordDates: 'year',
    rows: { in: 40, out: 37, suppressed: 3 },
    loss: { metric: 'm', value: 0.3 },
    search: { nodesEvaluated: 10, nodesInLattice: 20 },
    identifiersRemoved: {},
    dicom: { methods: [{ code: '113100', meaning: 'Basic Application Confidentiality Profile' }, { code: '113112', meaning: 'Retain Institution Identity Option' }] },
  },
  previews: [
    { path: 'csv/Patient.csv', bytes: 2048, mediaType: 'text/csv', columns: ['id', 'pseudonym', 'gender'], rows: [['p1', 'ab12', 'female']] },
    { path: 'dicom/1/2/3.dcm', bytes: 4096, mediaType: 'application/dicom', columns: [], rows: [] },
  ],
  provenance: [
    { step: 'purchase', by: 'this node', what: 'Purchase request', at: null, leafIndex: 12 },
    { step: 'delivery', by: 'Lakeside Clinic', what: 'DATA_DELIVERY', at: null, leafIndex: 41 },
    { step: 'key-release', by: 'Alpine Key Trust', what: 'KEY_RELEASE', at: null, leafIndex: 44 },
  ],
};

function fakeDatasets(initial: PurchasedDataset) {
  let current = initial;
  const calls: string[] = [];
  const datasets: PurchasedDatasets = {
    list: async () => [current],
    requestKeys: async (id) => {
      calls.push(`ask ${id}`);
      current = { ...current, requestedAt: 1, released: 2, shares: current.shares.map((share, i) => (i < 2 ? { ...share, state: 'released', leafIndex: 50 + i } : { ...share, state: 'refused', reason: 'the deposit is not yet deep enough in the chain: ask again later' })) };
    },
    openDataset: async (id) => {
      calls.push(`open ${id}`);
      current = { ...current, opened: { openedAt: Date.parse('2026-12-04T11:00:00.000Z'), files: 9, counts: { Patient: 37 } }, acknowledgedAt: 2, escrowHolds: false };
      return current;
    },
    acknowledge: async (id) => void calls.push(`ack ${id}`),
    contents: async () => contents,
    save: async (id, folder) => {
      calls.push(`save ${id} ${folder}`);
      return { folder, files: 9, bytes: 123_456 };
    },
    chooseFolder: async () => null,
  };
  return { datasets, calls };
}

function open(datasets: PurchasedDatasets) {
  const node = createFakeNode({ vault: { state: 'unlocked' } });
  node.state.network = network();
  const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Someone', role: 'admin', passphrase: ADMIN_PASSPHRASE }] });
  const search: DataSearch = {
    inbox: { incoming: async () => [], answer: async () => undefined, decline: async () => undefined },
    queries: { post: async () => '', list: async () => [], results: async () => Promise.reject(new Error('none')), basket: async () => [], setBasket: async () => undefined },
    datasets,
  };
  renderApp(node, '#/marketplace', vault, undefined, undefined, undefined, search);
}

describe('Marketplace › Datasets', () => {
  const waiting: PurchasedDataset = {
    purchaseId: PURCHASE,
    clinic: KEEPERS[0]!,
    delivery,
    requestedAt: null,
    shares: KEEPERS.map((keeper, i) => ({ keeper, institution: ['Alpine Key Trust', 'Harbour Key Trust', 'Meadow Key Trust'][i]!, state: 'not-asked', reason: null, leafIndex: null })),
    released: 0,
    threshold: 2,
    opened: null,
    acknowledgedAt: null,
    escrowHolds: null,
  };

  it('asks the keepers, shows each answer, opens once enough released, shows the dataset and saves it to a typed folder', async () => {
    const { datasets, calls } = fakeDatasets(waiting);
    open(datasets);
    const panel = await screen.findByRole('region', { name: 'Datasets' });
    await within(panel).findByText(/37 records/);
    expect(within(panel).getByText(/Key: 0 shares released \(2 needed\)\./)).toBeTruthy();
    expect(within(panel).queryByRole('button', { name: 'Open the dataset' })).toBeNull();

    fireEvent.click(within(panel).getByRole('button', { name: 'Ask the keepers for the key' }));
    await waitFor(() => expect(calls).toEqual([`ask ${PURCHASE}`]));
    const keepers = await within(panel).findByRole('list', { name: 'Key keepers' });
    await waitFor(() => expect(keepers.textContent).toContain('Alpine Key Trust: released its share (notary leaf 50)'));
    expect(keepers.textContent).toContain('Meadow Key Trust: refused — the deposit is not yet deep enough in the chain: ask again later');

    fireEvent.click(await within(panel).findByRole('button', { name: 'Open the dataset' }));
    await waitFor(() => expect(calls).toContain(`open ${PURCHASE}`));
    await within(panel).findByText(/Opened and checked: 9 files/);
    expect(panel.textContent).toContain('Delivery acknowledged: the escrow pays the clinic and the keepers.');
    // Paid out: nothing is left to acknowledge.
    expect(within(panel).queryByRole('button', { name: /^Acknowledge/ })).toBeNull();

    const provenance = await within(panel).findByRole('list', { name: 'Provenance' });
    expect(provenance.textContent).toMatch(/Purchase request by this node: Purchase request — notary leaf 12[\s\S]*Delivery by Lakeside Clinic: DATA_DELIVERY — notary leaf 41[\s\S]*Key release by Alpine Key Trust: KEY_RELEASE — notary leaf 44/);
    expect(panel.textContent).toContain('37 Patient, 120 Observation');
    expect(panel.textContent).toMatch(/k = 6 \(at least 5\), ℓ = 3 \(at least 2\) on diagnosis; 37 of 40 records released, 3 suppressed/);
    expect(panel.textContent).toContain('PS3.15 Annex E: Basic Application Confidentiality Profile (113100), Retain Institution Identity Option (113112)');
    const preview = within(panel).getByRole('table', { name: 'Preview of csv/Patient.csv' });
    expect(within(preview).getByText('ab12')).toBeTruthy();
    expect(panel.textContent).toContain('No preview for this kind of file.');

    const form = within(panel).getByRole('form', { name: 'Save dataset to a folder' });
    const save = within(form).getByRole('button', { name: 'Save dataset to a folder' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.change(within(form).getByLabelText('Folder'), { target: { value: ' /data/study-7 ' } });
    fireEvent.click(save);
    await within(form).findByText('Saved 9 files (120.6 KiB) to /data/study-7.');
    expect(calls).toContain(`save ${PURCHASE} /data/study-7`);
  });

  it('shows the DICOM files’ thumbnails as images named by their file, and says which files have none', async () => {
    const opened: PurchasedDataset = { ...waiting, released: 2, opened: { openedAt: Date.parse('2026-12-04T11:00:00.000Z'), files: 9, counts: { Patient: 37 } }, acknowledgedAt: 2, escrowHolds: false };
    const src = 'data:image/png;base64,iVBORw0KGgo=';
    const withImages: DatasetContents = {
      ...contents,
      previews: [
        ...contents.previews,
        { path: 'dicom/1/5/6.dcm', bytes: 8192, mediaType: 'application/dicom', columns: [], rows: [], thumbnail: { src, width: 128, height: 96, alt: 'First image of dicom/1/5/6.dcm (CT)' } },
        { path: 'dicom/1/7/8.dcm', bytes: 8192, mediaType: 'application/dicom', columns: [], rows: [], thumbnail: { src, width: 64, height: 64, alt: 'First image of dicom/1/7/8.dcm' } },
      ],
    };
    const { datasets } = fakeDatasets(opened);
    open({ ...datasets, contents: async () => withImages });
    const panel = await screen.findByRole('region', { name: 'Datasets' });
    fireEvent.click(await within(panel).findByRole('button', { name: 'Show the dataset' }));
    const images = await within(panel).findByRole('list', { name: 'Images' });
    const shown = within(images).getAllByRole('img') as HTMLImageElement[];
    expect(shown.map((image) => [image.alt, image.getAttribute('src'), image.width, image.height])).toEqual([
      ['First image of dicom/1/5/6.dcm (CT)', src, 128, 96],
      ['First image of dicom/1/7/8.dcm', src, 64, 64],
    ]);
    expect(within(images).getByRole('img', { name: 'First image of dicom/1/5/6.dcm (CT)' })).toBeTruthy();
    expect(panel.textContent).toContain('The first image of 2 DICOM files');
    // The file without a thumbnail (dicom/1/2/3.dcm) says so; those with one point to it.
    expect(within(panel).getAllByText('Its first image is shown under Images.')).toHaveLength(2);
    expect(within(panel).getAllByText('No preview for this kind of file.')).toHaveLength(1);
  });

  it('offers to acknowledge on the chain only while the escrow still holds the deposit, and says which step is missing', async () => {
    const opened: PurchasedDataset = { ...waiting, released: 2, opened: { openedAt: Date.parse('2026-12-04T11:00:00.000Z'), files: 9, counts: { Patient: 37 } }, acknowledgedAt: null, escrowHolds: true };
    const { datasets, calls } = fakeDatasets(opened);
    open(datasets);
    const panel = await screen.findByRole('region', { name: 'Datasets' });
    await within(panel).findByText(/Opened and checked: 9 files/);
    expect(panel.textContent).toContain('Not acknowledged yet.');
    fireEvent.click(within(panel).getByRole('button', { name: 'Acknowledge the delivery' }));
    await waitFor(() => expect(calls).toEqual([`ack ${PURCHASE}`]));
    cleanup();

    // Journaled, but the escrow's acknowledge() did not go through (the chain was down): the row says so and offers it again.
    const stuck = fakeDatasets({ ...opened, acknowledgedAt: 2, escrowHolds: true });
    open(stuck.datasets);
    const again = await screen.findByRole('region', { name: 'Datasets' });
    await within(again).findByText(/Acknowledged in this node’s ledger; the escrow still holds the deposit\./);
    fireEvent.click(within(again).getByRole('button', { name: 'Acknowledge on the chain again' }));
    await waitFor(() => expect(stuck.calls).toEqual([`ack ${PURCHASE}`]));
    cleanup();

    // The chain could not be read: acknowledged in the ledger, no claim about the escrow, no button.
    open(fakeDatasets({ ...opened, acknowledgedAt: 2, escrowHolds: null }).datasets);
    const unknown = await screen.findByRole('region', { name: 'Datasets' });
    await within(unknown).findByText(/Acknowledged in this node’s ledger; the escrow could not be read\./);
    expect(within(unknown).queryByRole('button', { name: /^Acknowledge/ })).toBeNull();
  });

  it('says so when nothing was delivered yet', async () => {
    const { datasets } = fakeDatasets(waiting);
    open({ ...datasets, list: async () => [] });
    const panel = await screen.findByRole('region', { name: 'Datasets' });
    await within(panel).findByText('No dataset delivered yet.');
  });
});
