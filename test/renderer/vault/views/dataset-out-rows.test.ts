import { getAddress } from 'ethers';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { MIND_KINDS } from '../../../../shared/journal/journal-kinds';
import { packReleasedPatient, unpackReleasedPatient } from '../../../../shared/research/deid/released-patients';
import { PurchaseDeliveredMetaSchema, type PurchaseDeliveredMeta } from '../../../../shared/research/research-meta';
import { foldPurchaseRows, deliveredOf } from '../../../../renderer/research/purchase-rows';
import { datasetsOfPatient } from '../../../../renderer/vault/views/dataset-out-rows';
import { researchProjector } from '../../../../renderer/vault/views/projectors/research-projector';
import { openVaultDb } from '../../../../renderer/vault/views/vault-db';

/**
 * The clinic's record of what left, per patient (issue 15 item 8): a `purchase.delivered` event
 * that lists its patients makes one dataset-out row per patient, naming the purchase and the
 * pseudonym; an older event without them still parses and makes none.
 */
const PURCHASE = `0x${'5d'.repeat(16)}`;
const ADA = 'AdaViewId0123456789_-A';
const BOB = 'BobViewId0123456789_-B';

const delivered: PurchaseDeliveredMeta = {
  v: 1,
  purchaseId: PURCHASE,
  researcher: '0x' + '12'.repeat(20),
  deliveryId: 'ab'.repeat(16),
  size: 4096,
  ciphertextSha256: 'cd'.repeat(32),
  commitment: 'ef'.repeat(32),
  manifestSha256: '01'.repeat(32),
  reportSha256: '02'.repeat(32),
  released: 2,
  suppressed: 0,
  k: 5,
  l: 2,
  keepers: [getAddress('0x' + 'a1'.repeat(20)), getAddress('0x' + 'a2'.repeat(20)), getAddress('0x' + 'a3'.repeat(20))],
  threshold: 2,
};

async function project(db: ReturnType<typeof openVaultDb>, viewKey: CryptoKey, seq: number, meta: unknown): Promise<void> {
  const page = researchProjector.startPage({ keys: { viewKey } as never, tokens: {} as never });
  const step = await page.decode({ seq, kind: MIND_KINDS.purchaseDelivered, at: '2026-12-05T10:00:00.000Z', operator: null, objects: [], meta: null }, meta);
  expect(step).not.toBe('problem');
  if (typeof step === 'object' && step !== null && 'apply' in step) step.apply();
  await db.transaction('rw', researchProjector.tables(db), () => page.write(db, 0));
}

describe('the record of what left, per patient', () => {
  it('packs a view id and a pseudonym in 44 characters and back', () => {
    const packed = packReleasedPatient({ patientId: ADA, pseudonym: '0123456789abcdef'.repeat(2) });
    expect(packed).toHaveLength(44);
    expect(unpackReleasedPatient(packed)).toEqual({ patientId: ADA, pseudonym: '0123456789abcdef'.repeat(2) });
    // The largest purchase fits one journal record's sealed meta (1 MiB of base64url) with room to spare.
    expect(Math.ceil((JSON.stringify(Array.from({ length: 15_000 }, () => packed)).length * 4) / 3)).toBeLessThan(960_000);
  });

  it('a delivery listing its patients makes a row per patient naming the purchase and the pseudonym; an old delivery parses and makes none', async () => {
    const db = openVaultDb('dataset-out-0001', { indexedDB: new IDBFactory(), IDBKeyRange });
    await db.open();
    const viewKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const withPatients: PurchaseDeliveredMeta = {
      ...delivered,
      patients: [packReleasedPatient({ patientId: ADA, pseudonym: 'aa'.repeat(16) }), packReleasedPatient({ patientId: BOB, pseudonym: 'bb'.repeat(16) })],
      purpose: 'research-sale',
      consentMode: 'opt-out',
      profile: 'safe-harbor',
      dicom: { instances: 3, excluded: 1 },
    };
    expect(PurchaseDeliveredMetaSchema.safeParse(delivered).success).toBe(true);
    await project(db, viewKey, 7, withPatients);
    await project(db, viewKey, 8, { ...delivered, purchaseId: `0x${'6e'.repeat(16)}` });

    const ada = await datasetsOfPatient(db, viewKey, ADA);
    expect(ada).toEqual([{ purchaseId: PURCHASE, researcher: delivered.researcher, deliveryId: delivered.deliveryId, pseudonym: 'aa'.repeat(16), purpose: 'research-sale', consentMode: 'opt-out', profile: 'safe-harbor', k: 5, l: 2, released: 2, at: Date.parse('2026-12-05T10:00:00.000Z') }]);
    expect((await datasetsOfPatient(db, viewKey, BOB)).map((d) => [d.purchaseId, d.pseudonym])).toEqual([[PURCHASE, 'bb'.repeat(16)]]);
    expect(await datasetsOfPatient(db, viewKey, 'NobodyViewId0123456789')).toEqual([]);
    // The purchase's own rows still fold as before (the dataset-out rows are not purchase rows).
    const folded = await foldPurchaseRows(db, viewKey);
    expect(folded.map((f) => f.purchaseId).sort()).toEqual([PURCHASE, `0x${'6e'.repeat(16)}`].sort());
    expect(deliveredOf(folded.find((f) => f.purchaseId === PURCHASE)!)?.patients).toHaveLength(2);
    db.close();
  });
});
