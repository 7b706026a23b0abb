import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PurchaseDeliveredMeta } from '../../../shared/research/research-meta';
import type { FoldedPurchase } from '../../../renderer/research/purchase-rows';
import { NO_RESEARCH_POLICY, type ResearchPolicy } from '../../../shared/research/consent';
import type { DeidSource } from '../../../shared/research/deid/safe-harbor';
import type * as DatasetRelease from '../../../renderer/research/dataset-release';

/**
 * The clinic's release of a purchase that was delivered already (review fix, issue 15): `release`
 * answers the stored delivery at once, without resolving, reading or de-identifying anybody again.
 */
const dataset = vi.hoisted(() => ({
  resolvePurchasedPatients: vi.fn(() => Promise.reject(new Error('resolved the purchased patients again'))),
  deidSourcesOf: vi.fn(() => Promise.reject(new Error('read the patients again'))),
  checkRelease: vi.fn((..._args: unknown[]): Promise<unknown> => Promise.reject(new Error('de-identified again'))),
  releaseInstancesOf: vi.fn(() => Promise.resolve([])),
}));
const rows = vi.hoisted(() => ({ folded: [] as FoldedPurchase[] }));
/** The clinic's answers (query outcomes) as the feature decrypts them: the offers a purchase bought. */
const outcomes = vi.hoisted(() => ({ details: [] as unknown[] }));

vi.mock('../../../renderer/research/dataset-release', async (importOriginal) => ({ ...(await importOriginal<object>()), ...dataset }));
vi.mock('../../../renderer/vault/vault-crypto', async (importOriginal) => ({ ...(await importOriginal<object>()), decryptMany: () => Promise.resolve(outcomes.details) }));
vi.mock('../../../renderer/research/purchase-rows', async (importOriginal) => ({ ...(await importOriginal<object>()), foldPurchaseRows: () => Promise.resolve(rows.folded) }));

const { PurchasesFeature } = await import('../../../renderer/research/purchases');

const PURCHASE = `0x${'5d'.repeat(16)}`;
const RESEARCHER = '0x' + '12'.repeat(20);
const OFFER = `0x${'0f'.repeat(32)}`;

const delivered: PurchaseDeliveredMeta = {
  v: 1,
  purchaseId: PURCHASE,
  researcher: RESEARCHER,
  deliveryId: 'ab'.repeat(16),
  size: 4096,
  ciphertextSha256: 'cd'.repeat(32),
  commitment: 'ef'.repeat(32),
  manifestSha256: '01'.repeat(32),
  reportSha256: '02'.repeat(32),
  released: 40,
  suppressed: 1,
  k: 5,
  l: 2,
  keepers: ['0x' + 'a1'.repeat(20), '0x' + 'a2'.repeat(20), '0x' + 'a3'.repeat(20)],
  threshold: 2,
};

function folded(withDelivery: boolean): FoldedPurchase {
  const request = { purchaseId: PURCHASE, researcher: RESEARCHER, clinic: '0x' + '34'.repeat(20), offerIds: [OFFER], keys: ['aa'.repeat(16)], currency: 'PHD', pricePerRecord: '1', total: '1', purpose: 'research-sale', purposeText: 'a study', paymentAddress: RESEARCHER, answerKey: `0x04${'00'.repeat(64)}`, createdAt: '2026-12-01T09:00:00.000Z', expiresAt: '2026-12-08T09:00:00.000Z' };
  const value = (seq: number) => ({ purchaseId: PURCHASE, seq, at: seq, enc: new Uint8Array() });
  return {
    purchaseId: PURCHASE,
    rows: [
      { value: value(1), detail: { kind: 'request-in', signed: { request, signature: `0x${'00'.repeat(65)}` }, receivedAt: 1 } as never },
      { value: value(2), detail: { kind: 'accepted', v: 1, purchaseId: PURCHASE, researcher: RESEARCHER, requestHash: `0x${'03'.repeat(32)}`, offerIds: [OFFER], records: 1, total: '1', how: 'manual' } },
      ...(withDelivery ? [{ value: value(3), detail: { kind: 'delivered' as const, ...delivered } }] : []),
    ],
  };
}

function openFeature(policy: Partial<ResearchPolicy> = {}) {
  const consent = { allowed: () => Promise.resolve(new Set<string>()), policy: () => Promise.resolve({ ...NO_RESEARCH_POLICY, ...policy }) };
  const feature = new PurchasesFeature(consent as never, () => Date.parse('2026-12-02T09:00:00.000Z'));
  const outcomeRows = { where: () => ({ equals: () => ({ toArray: () => Promise.resolve(outcomes.details.map((_, i) => ({ kind: 'answered', seq: i + 1, enc: new Uint8Array() }))) }) }) };
  const port = {
    api: { network: { status: () => Promise.resolve({ state: null }) } },
    db: () => ({ queryOutcomes: outcomeRows, patients: { toCollection: () => ({ primaryKeys: () => Promise.resolve([]) }) } }),
    isAdmin: () => true,
    isCurrent: () => true,
    requestSync: () => undefined,
  };
  feature.open(port as never);
  return feature;
}

describe('release of a delivered purchase', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    outcomes.details = [];
  });

  it('answers the stored delivery without de-identifying again', async () => {
    rows.folded = [folded(true)];
    const feature = openFeature();
    expect(await feature.release(PURCHASE)).toEqual(delivered);
    expect(dataset.resolvePurchasedPatients).not.toHaveBeenCalled();
    expect(dataset.deidSourcesOf).not.toHaveBeenCalled();
    expect(dataset.checkRelease).not.toHaveBeenCalled();
  });

  it('still de-identifies a purchase that was not delivered', async () => {
    rows.folded = [folded(false)];
    const feature = openFeature();
    await expect(feature.release(PURCHASE)).rejects.toThrow(/resolved the purchased patients again|de-identified again/);
    expect(dataset.resolvePurchasedPatients).toHaveBeenCalledTimes(1);
  });

  it('releases under the profile the purchased offer was made under (longitudinal with the policy’s largest shift and DICOM Options reaches the release report); a policy switched later does not change a Safe Harbor offer', async () => {
    const actual = await vi.importActual<typeof DatasetRelease>('../../../renderer/research/dataset-release');
    const population: DeidSource[] = Array.from({ length: 12 }, (_, i) => ({
      patientId: `patient-${i}`,
      patient: { identifiers: [{ value: `MRN-${i}`, authority: 'GENERAL', type: 'MR' }], name: { family: `Family${i}`, given: ['Given'] }, birthDate: '1970-05-05', sex: 'F', address: { postalCode: '02139', country: 'US' } },
      records: [{ type: 'diagnosis', code: { code: i % 2 === 0 ? 'E11.9' : 'I10', system: 'I10', display: 'diagnosis' }, diagnosisType: 'F', time: '2022-06-15T09:00:00Z' }],
    }));
    const reports: unknown[] = [];
    for (const [offerProfile, policy, expected, methods] of [
      ['hipaa-longitudinal-k', { releaseProfile: 'longitudinal', maxShiftDays: 60, dicomOptions: ['retainDeviceIdentity', 'cleanDescriptors'] }, { profile: 'longitudinal', maxShiftDays: 60 }, ['113100', '113105', '113107', '113109']],
      // The policy's DICOM Options under the offer's Safe Harbor: Retain Device Identity is not allowed there.
      ['hipaa-safe-harbor-k', { releaseProfile: 'longitudinal', maxShiftDays: 60, dicomOptions: ['retainDeviceIdentity', 'cleanDescriptors'] }, { profile: 'safe-harbor' }, ['113100', '113105']],
    ] as const) {
      rows.folded = [folded(false)];
      outcomes.details = [{ kind: 'answered', answer: { offer: { offerId: OFFER, k: 5, profile: offerProfile }, keyList: [{ key: 'aa'.repeat(16) }] }, keyTags: ['tag-1'] }];
      dataset.resolvePurchasedPatients.mockImplementationOnce(() => Promise.resolve({ patientIds: population.map((p) => p.patientId), missing: 0, withdrawn: 0 }) as never);
      dataset.deidSourcesOf.mockImplementationOnce(() => Promise.resolve(population) as never);
      dataset.checkRelease.mockImplementationOnce(async (...args: unknown[]) => {
        const checked = await actual.checkRelease(...(args as Parameters<typeof actual.checkRelease>));
        if (checked.ok) reports.push(checked.release.report);
        return checked;
      });
      const summary = await openFeature({ ...policy, dicomOptions: [...policy.dicomOptions] }).checkRelease(PURCHASE);
      expect(summary.ok).toBe(true);
      expect(dataset.checkRelease.mock.lastCall?.[4]).toMatchObject(expected);
      expect(reports.at(-1)).toMatchObject(expected);
      expect((reports.at(-1) as { dicom: { methods: { code: string }[] } }).dicom.methods.map((method) => method.code)).toEqual(methods);
    }
  });
});
