import type { JournalRecord } from '../../../shared/ipc/journal-contract';
import type { QueryPurpose } from '../../../shared/research/keyword-query';
import { unpackReleasedPatient } from '../../../shared/research/deid/released-patients';
import type { PurchaseDeliveredMeta } from '../../../shared/research/research-meta';
import { decryptMany, encryptMany } from '../vault-crypto';
import type { PurchaseMetaValue } from './research-rows';
import type { VaultDb } from './vault-db';

/**
 * The clinic's record of what left, per patient (issue 15 item 8): for every patient a delivered
 * release included (`purchase.delivered`, whose meta lists them since this record exists), one
 * row in the views' `meta` table, `dataset-out:<patient view id>:<purchase id>` → { purchaseId,
 * seq, at, enc }, so a patient's page finds the datasets that included them with one prefix read.
 * `enc` holds a DatasetOutDetail under the view key: the pseudonym the patient went out under,
 * who bought it, the consent basis and the profile. Nothing here leaves the node.
 */
export const DATASET_OUT_PREFIX = 'dataset-out:';

export interface DatasetOutDetail {
  readonly purchaseId: string;
  readonly researcher: string;
  readonly deliveryId: string;
  /** The release's pseudonym of this patient. */
  readonly pseudonym: string;
  readonly purpose: QueryPurpose | null;
  readonly consentMode: 'opt-in' | 'opt-out' | null;
  readonly profile: 'safe-harbor' | 'longitudinal' | null;
  readonly k: number;
  readonly l: number;
  /** Records (patients) released in the dataset. */
  readonly released: number;
  /** When the delivery was journaled (ms). */
  readonly at: number;
}

export function datasetOutKey(patientId: string, purchaseId: string): string {
  return `${DATASET_OUT_PREFIX}${patientId}:${purchaseId}`;
}

/** The per-patient rows of a delivery (none for one journaled before the patients were recorded). */
export async function datasetOutRows(viewKey: CryptoKey, record: JournalRecord, meta: PurchaseDeliveredMeta): Promise<{ readonly key: string; readonly value: PurchaseMetaValue }[]> {
  const at = Date.parse(record.at);
  const patients = (meta.patients ?? []).map(unpackReleasedPatient);
  const keys = patients.map((patient) => datasetOutKey(patient.patientId, meta.purchaseId));
  const encrypted = await encryptMany(
    viewKey,
    patients.map((patient, i) => {
      const detail: DatasetOutDetail = {
        purchaseId: meta.purchaseId,
        researcher: meta.researcher,
        deliveryId: meta.deliveryId,
        pseudonym: patient.pseudonym,
        purpose: meta.purpose ?? null,
        consentMode: meta.consentMode ?? null,
        profile: meta.profile ?? null,
        k: meta.k,
        l: meta.l,
        released: meta.released,
        at,
      };
      return { table: 'meta', id: keys[i]!, value: detail };
    }),
  );
  return keys.map((key, i) => ({ key, value: { purchaseId: meta.purchaseId, seq: record.seq, at, enc: encrypted[i]! } }));
}

/** The datasets that included a patient, newest first. */
export async function datasetsOfPatient(db: VaultDb, viewKey: CryptoKey, patientId: string): Promise<DatasetOutDetail[]> {
  const rows = await db.meta.where('key').startsWith(`${DATASET_OUT_PREFIX}${patientId}:`).toArray();
  const details = await decryptMany<DatasetOutDetail>(
    viewKey,
    rows.map((row) => ({ table: 'meta', id: row.key, stored: (row.value as PurchaseMetaValue).enc })),
  );
  return details.sort((a, b) => b.at - a.at);
}
