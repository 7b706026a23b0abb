import { PurchaseAcknowledgedMetaSchema, PurchaseKeysRequestedMetaSchema, PurchaseOpenedMetaSchema } from '../../../../shared/research/dataset-meta';
import { MIND_KINDS } from '../../../../shared/journal/journal-kinds';
import {
  BasketMetaSchema,
  PurchaseAcceptedMetaSchema,
  PurchaseDeclinedMetaSchema,
  PurchaseDeliveredMetaSchema,
  PurchaseDeliveryNotifiedMetaSchema,
  PurchaseNotifiedMetaSchema,
  PurchaseRequestedMetaSchema,
  QueryAnsweredMetaSchema,
  QueryDeclinedMetaSchema,
  QueryPostedMetaSchema,
  QueryReceivedMetaSchema,
  type BasketMeta,
} from '../../../../shared/research/research-meta';
import { incomingQueryRow, myQueryRow, purchaseRow, queryOutcomeRow, ResearchRowsPage } from '../research-rows';
import type { JournalProjector, ProjectorStep } from './journal-projector';
import { datasetOutRows } from '../dataset-out-rows';

/** The views' meta row holding the researcher's purchase basket (plain: offer ids, random keys and institutions' addresses, no patient). */
export const BASKET_META_KEY = 'researchBasket';

/**
 * The research search's mind events (issue 14) → research-rows.ts tables:
 *   query.posted    (research node) its own query             → myQueries
 *   query.received  (clinic) a query from the search service   → incomingQueries (first arrival wins)
 *   query.answered, query.declined  (clinic)                   → queryOutcomes
 *   basket.changed  (research node) the whole basket           → the basket meta row (the latest wins)
 *   purchase.*      a purchase's steps (issue 15)              → purchase rows in meta (research-rows.ts)
 * Queries and answers that came through the relay are the relay projector's (one projector per kind).
 */
export const researchProjector: JournalProjector = {
  name: 'research',
  kinds: [
    MIND_KINDS.queryPosted,
    MIND_KINDS.queryReceived,
    MIND_KINDS.queryAnswered,
    MIND_KINDS.queryDeclined,
    MIND_KINDS.basketChanged,
    MIND_KINDS.purchaseRequested,
    MIND_KINDS.purchaseAccepted,
    MIND_KINDS.purchaseDeclined,
    MIND_KINDS.purchaseNotified,
    MIND_KINDS.purchaseDelivered,
    MIND_KINDS.purchaseDeliveryNotified,
    MIND_KINDS.purchaseKeysRequested,
    MIND_KINDS.purchaseOpened,
    MIND_KINDS.purchaseAcknowledged,
  ],
  tables: (db) => [db.incomingQueries, db.queryOutcomes, db.myQueries, db.meta],
  startPage(context) {
    const page = new ResearchRowsPage();
    let basket: BasketMeta | null = null;
    const viewKey = context.keys.viewKey;
    return {
      async decode(record, meta): Promise<ProjectorStep> {
        switch (record.kind) {
          case MIND_KINDS.queryPosted: {
            const parsed = QueryPostedMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await myQueryRow(viewKey, record, parsed.data);
            return { apply: () => void page.mine.set(row.queryId, row) };
          }
          case MIND_KINDS.queryReceived: {
            const parsed = QueryReceivedMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await incomingQueryRow(viewKey, record, { signed: parsed.data.signed, via: 'search-service', receivedAt: Date.parse(parsed.data.receivedAt) });
            return { apply: () => page.addIncoming(row) };
          }
          case MIND_KINDS.queryAnswered: {
            const parsed = QueryAnsweredMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await queryOutcomeRow(viewKey, record, { kind: 'answered', ...parsed.data });
            return { apply: () => void page.outcomes.push(row) };
          }
          case MIND_KINDS.queryDeclined: {
            const parsed = QueryDeclinedMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await queryOutcomeRow(viewKey, record, { kind: 'declined', ...parsed.data });
            return { apply: () => void page.outcomes.push(row) };
          }
          case MIND_KINDS.purchaseRequested: {
            const parsed = PurchaseRequestedMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await purchaseRow(viewKey, record, parsed.data.signed.request.purchaseId, { kind: 'requested', ...parsed.data });
            return { apply: () => void page.purchases.set(row.key, row.value) };
          }
          case MIND_KINDS.purchaseAccepted: {
            const parsed = PurchaseAcceptedMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await purchaseRow(viewKey, record, parsed.data.purchaseId, { kind: 'accepted', ...parsed.data });
            return { apply: () => void page.purchases.set(row.key, row.value) };
          }
          case MIND_KINDS.purchaseDeclined: {
            const parsed = PurchaseDeclinedMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await purchaseRow(viewKey, record, parsed.data.purchaseId, { kind: 'declined', ...parsed.data });
            return { apply: () => void page.purchases.set(row.key, row.value) };
          }
          case MIND_KINDS.purchaseNotified: {
            const parsed = PurchaseNotifiedMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await purchaseRow(viewKey, record, parsed.data.purchaseId, { kind: 'notified', ...parsed.data });
            return { apply: () => void page.purchases.set(row.key, row.value) };
          }
          case MIND_KINDS.purchaseDelivered: {
            const parsed = PurchaseDeliveredMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await purchaseRow(viewKey, record, parsed.data.purchaseId, { kind: 'delivered', ...parsed.data });
            // The clinic's record of what left, findable per patient (dataset-out-rows.ts).
            const out = await datasetOutRows(viewKey, record, parsed.data);
            return {
              apply: () => {
                page.purchases.set(row.key, row.value);
                for (const entry of out) page.purchases.set(entry.key, entry.value);
              },
            };
          }
          case MIND_KINDS.purchaseDeliveryNotified: {
            const parsed = PurchaseDeliveryNotifiedMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await purchaseRow(viewKey, record, parsed.data.purchaseId, { kind: 'delivery-notified', ...parsed.data });
            return { apply: () => void page.purchases.set(row.key, row.value) };
          }
          case MIND_KINDS.purchaseKeysRequested: {
            const parsed = PurchaseKeysRequestedMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await purchaseRow(viewKey, record, parsed.data.purchaseId, { kind: 'keys-requested', ...parsed.data });
            return { apply: () => void page.purchases.set(row.key, row.value) };
          }
          case MIND_KINDS.purchaseOpened: {
            const parsed = PurchaseOpenedMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await purchaseRow(viewKey, record, parsed.data.purchaseId, { kind: 'opened', ...parsed.data });
            return { apply: () => void page.purchases.set(row.key, row.value) };
          }
          case MIND_KINDS.purchaseAcknowledged: {
            const parsed = PurchaseAcknowledgedMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            const row = await purchaseRow(viewKey, record, parsed.data.purchaseId, { kind: 'acknowledged', ...parsed.data });
            return { apply: () => void page.purchases.set(row.key, row.value) };
          }
          default: {
            const parsed = BasketMetaSchema.safeParse(meta);
            if (!parsed.success) return 'problem';
            return { apply: () => void (basket = parsed.data) };
          }
        }
      },
      async write(db) {
        await page.write(db);
        if (basket !== null) await db.meta.put({ key: BASKET_META_KEY, value: basket });
      },
    };
  },
};
