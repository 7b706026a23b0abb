import type { JournalRecord } from '../../../../shared/ipc/journal-contract';
import { MIND_KINDS, RELAY_MESSAGE_KIND } from '../../../../shared/journal/journal-kinds';
import { RelayArrivalMetaSchema, RelaySentMetaSchema } from '../../../../shared/journal/relay-meta';
import { openMessage, RelayEnvelopeError } from '../../../../shared/network/relay';
import { decodePayload, type NotePayload, type RelayPayload } from '../../../../shared/network/relay-payload';
import { encryptMany } from '../../vault-crypto';
import type { RelayMessageRowStored } from '../vault-db';
import type { JournalProjector, ProjectorContext, ProjectorStep } from './journal-projector';
import { purchaseRowOfPayload, researchRowOfPayload, ResearchRowsPage } from '../research-rows';

/** A relay message as the views hold it (encrypted with the view key in `enc`). */
export interface RelayMessageDetail {
  readonly id: string;
  /** The sender: this node for a sent message. */
  readonly from: string;
  readonly to: readonly string[];
  readonly createdAt: number;
  /** The note, or null when it did not open or is of a kind this version cannot show. */
  readonly payload: NotePayload | null;
  /** Why a received message is not shown (PHI-free), or null. */
  readonly problem: string | null;
}

/**
 * `relay.message` (what the body received) and `message.sent` (what this node sent) → the
 * `relayMessages` table. A received envelope is opened here with the node's message key and its
 * sender's signature checked (shared/network/relay.ts openMessage), as of the time it arrived, so a
 * replay months later gives the same answer. Whether the sender is a current member is a question
 * for the network map at display time, not for the journal. One row per (sender, id): a message
 * delivered twice is shown once. The research search's messages (a query, an answer, a decline)
 * are not conversation: the research projector keeps them, and they are left out here.
 */
export const relayProjector: JournalProjector = {
  name: 'relay',
  kinds: [RELAY_MESSAGE_KIND, MIND_KINDS.messageSent],
  tables: (db) => [db.relayMessages, db.incomingQueries, db.queryAnswers, db.meta],
  startPage(context) {
    const rows = new Map<string, RelayMessageRowStored>();
    const research = new ResearchRowsPage();
    return {
      async decode(record, meta): Promise<ProjectorStep> {
        const row = record.kind === RELAY_MESSAGE_KIND ? await receivedRow(context, record, meta) : await sentRow(context, record, meta);
        if (row === null) return 'problem';
        if (row === 'research') return { apply: () => undefined };
        if ('purchase' in row) {
          const made = row.purchase;
          if (made === null) return 'skip';
          return { apply: () => void research.purchases.set(made.key, made.value) };
        }
        if ('research' in row) {
          const made = row.research;
          if (made === null) return 'skip';
          return { apply: () => ('incoming' in made ? research.addIncoming(made.incoming) : research.addAnswer(made.answer)) };
        }
        return {
          apply: () => {
            if (!rows.has(row.key)) rows.set(row.key, row);
          },
        };
      },
      async write(db) {
        await research.write(db);
        if (rows.size === 0) return;
        // The first arrival of a (sender, id) wins across pages too.
        const existing = new Set((await db.relayMessages.bulkGet([...rows.keys()])).flatMap((row) => (row === undefined ? [] : [row.key])));
        await db.relayMessages.bulkPut([...rows.values()].filter((row) => !existing.has(row.key)));
      },
    };
  },
};

async function rowOf(context: ProjectorContext, record: JournalRecord, key: string, direction: 'in' | 'out', at: number, detail: RelayMessageDetail): Promise<RelayMessageRowStored> {
  const [enc] = await encryptMany(context.keys.viewKey, [{ table: 'relayMessages', id: key, value: detail }]);
  return { key, seq: record.seq, direction, at, enc: enc! };
}

/** A payload of the research search (research-projector.ts shows it), not a note. */
function isResearch(payload: RelayPayload | null): payload is Extract<RelayPayload, { type: 'keyword-query' | 'query-answer' | 'query-declined' }> {
  return payload !== null && (payload.type === 'keyword-query' || payload.type === 'query-answer' || payload.type === 'query-declined');
}

const PURCHASE_PAYLOADS = ['purchase-request', 'purchase-accepted', 'purchase-declined', 'dataset-delivered', 'key-share-stored', 'key-share-refused', 'key-release', 'key-release-refused'] as const;

/** A payload of a purchase (issue 15: shared/research/purchase-request.ts, key-release.ts): not conversation either. */
function isPurchase(payload: RelayPayload | null): payload is Extract<RelayPayload, { type: (typeof PURCHASE_PAYLOADS)[number] }> {
  return payload !== null && (PURCHASE_PAYLOADS as readonly string[]).includes(payload.type);
}

type ResearchRow = Awaited<ReturnType<typeof researchRowOfPayload>>;

type PurchaseRow = Awaited<ReturnType<typeof purchaseRowOfPayload>>;

async function receivedRow(context: ProjectorContext, record: JournalRecord, meta: unknown): Promise<RelayMessageRowStored | { readonly research: ResearchRow } | { readonly purchase: PurchaseRow } | null> {
  const parsed = RelayArrivalMetaSchema.safeParse(meta);
  if (!parsed.success) return null;
  const { envelope, receivedAt } = parsed.data;
  const key = `in:${envelope.from}:${envelope.id}`;
  const messageKey = context.keys.messageKeyPair?.privateKey;
  const base = { id: envelope.id, from: envelope.from, to: [] as string[], createdAt: receivedAt };
  if (messageKey === undefined) return rowOf(context, record, key, 'in', receivedAt, { ...base, payload: null, problem: 'This session holds no message key.' });
  try {
    // The envelope is addressed to this node if it decrypts with this node's key; `to` is its own.
    const to = typeof envelope['to'] === 'string' ? envelope['to'] : '';
    const opened = await openMessage(envelope, messageKey, to, { resolveSender: () => true, now: receivedAt });
    const payload = decodePayload(opened.payload);
    if (isResearch(payload)) return { research: await researchRowOfPayload(context.keys.viewKey, record, payload, opened.from, receivedAt) };
    // A purchase's request or answer: a purchase row (research-rows.ts), not a message.
    if (isPurchase(payload)) return { purchase: await purchaseRowOfPayload(context.keys.viewKey, record, payload, opened.from, receivedAt) };
    return rowOf(context, record, key, 'in', receivedAt, {
      ...base,
      to: [opened.to],
      createdAt: opened.createdAt,
      payload: payload as NotePayload | null,
      problem: payload === null ? 'A message of a kind this version of HDMS Node cannot show.' : null,
    });
  } catch (error) {
    const problem = error instanceof RelayEnvelopeError ? `The message was refused: ${error.message}.` : 'The message could not be opened.';
    return rowOf(context, record, key, 'in', receivedAt, { ...base, payload: null, problem });
  }
}

async function sentRow(context: ProjectorContext, record: JournalRecord, meta: unknown): Promise<RelayMessageRowStored | 'research' | null> {
  const parsed = RelaySentMetaSchema.safeParse(meta);
  if (!parsed.success) return null;
  const { id, to, payload, sentAt } = parsed.data;
  const shown = decodePayload(new TextEncoder().encode(JSON.stringify(payload)));
  if (isResearch(shown) || isPurchase(shown)) return 'research';
  return rowOf(context, record, `out:${id}`, 'out', sentAt, { id, from: '', to, createdAt: sentAt, payload: shown as NotePayload | null, problem: shown === null ? 'A message of a kind this version of HDMS Node cannot show.' : null });
}
