import { MIND_KINDS } from '../../../../shared/journal/journal-kinds';
import { ConsentRecordMetaSchema, ResearchPolicyMetaSchema, type ConsentState, type ResearchPolicy } from '../../../../shared/research/consent';
import type { QueryPurpose } from '../../../../shared/research/keyword-query';
import { encryptMany } from '../../vault-crypto';
import type { ConsentRowStored } from '../vault-db';
import type { JournalProjector } from './journal-projector';

/** A consent record as the views hold it (encrypted with the view key). */
export interface ConsentDetail {
  readonly purpose: QueryPurpose;
  readonly state: ConsentState;
  readonly decidedOn: string;
  /** The operator's pseudonym who recorded it (the journal's), and when (ISO). */
  readonly operator: string | null;
  readonly recordedAt: string;
}

/** The views' meta row holding the institution's research policy (plain: it names no patient). */
export const RESEARCH_POLICY_META_KEY = 'researchPolicy';

/**
 * `consent.recorded` → the `consents` table (one row per record, by seq, indexed by patient), and
 * `settings.researchPolicy` → the `researchPolicy` meta row (the latest wins). The replay hands
 * mind events here only when their authenticator holds.
 */
export const consentProjector: JournalProjector = {
  name: 'consent',
  kinds: [MIND_KINDS.consentRecorded, MIND_KINDS.researchPolicy],
  tables: (db) => [db.consents, db.meta],
  startPage(context) {
    const rows: ConsentRowStored[] = [];
    let policy: ResearchPolicy | null = null;
    return {
      async decode(record, meta) {
        if (record.kind === MIND_KINDS.researchPolicy) {
          const parsed = ResearchPolicyMetaSchema.safeParse(meta);
          if (!parsed.success) return 'problem';
          return { apply: () => void (policy = parsed.data) };
        }
        const parsed = ConsentRecordMetaSchema.safeParse(meta);
        if (!parsed.success) return 'problem';
        const { patientId, purpose, state, decidedOn } = parsed.data;
        const detail: ConsentDetail = { purpose, state, decidedOn, operator: record.operator, recordedAt: record.at };
        // Encrypted here: write() runs inside the views' transaction, which must not wait for crypto.
        const [enc] = await encryptMany(context.keys.viewKey, [{ table: 'consents', id: String(record.seq), value: detail }]);
        const row: ConsentRowStored = { seq: record.seq, patientId, enc: enc! };
        return { apply: () => void rows.push(row) };
      },
      async write(db) {
        if (policy !== null) await db.meta.put({ key: RESEARCH_POLICY_META_KEY, value: policy });
        if (rows.length > 0) await db.consents.bulkPut(rows);
      },
    };
  },
};
