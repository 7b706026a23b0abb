import type { JournalRecord } from '../../../../shared/ipc/journal-contract';
import { QuarantineMetaSchema, QuarantineResolutionMetaSchema, type IntakeMeta, type QuarantineMeta } from '../../../../shared/journal/intake-meta';
import { MIND_KINDS, QUARANTINE_KINDS } from '../../../../shared/journal/journal-kinds';
import { ErasureMetaSchema } from '../../../../shared/journal/mind-meta';
import { decryptMany, encryptMany } from '../../vault-crypto';
import { filedPatientId } from '../patient-filing';
import {
  addToMessageCount,
  controlTokens,
  MESSAGE_FACETS_KEY,
  MESSAGE_FACETS_MAX,
  MESSAGE_TOKEN_FIELDS,
  messageCipherId,
  normalizeMessageType,
  senderName,
  type MessageFacets,
  type MessageField,
  type MessageLogPayload,
  type MessageRowStored,
  type MessageStatus,
} from '../message-log';
import type { VaultDb } from '../vault-db';
import type { JournalProjector, ProjectorContext, ProjectorStep } from './journal-projector';
import { putInParts } from '../put-in-parts';
import { intakeMetaOf } from './intake-meta-parse';

/** The HL7 kind of accepted intake (other channels have views of their own). */
const HL7_KIND = 'intake.hl7';

interface Entry {
  readonly row: MessageRowStored;
  readonly sender: string;
  readonly type: string;
}

/**
 * The message browser's rows (message-log.ts): `intake.hl7` → an accepted message (status
 * accepted, not-mapped or conflict); `intake.quarantine` of an HL7 channel → a rejected or held
 * message (a DICOM instance or device report in quarantine is no HL7 message: no row);
 * `intake.reprocessed` / `intake.discarded` → that input's status (a reprocess that did not store
 * every message leaves it as it was); `erasure.patient` → the patient's messages go (their
 * records became tombstones). The senders and message types seen are kept, encrypted, in meta
 * `messageFacets`, for the browser's choices.
 */
export const messageProjector: JournalProjector = {
  name: 'messages',
  kinds: [HL7_KIND, QUARANTINE_KINDS.quarantined, QUARANTINE_KINDS.reprocessed, QUARANTINE_KINDS.discarded, MIND_KINDS.erasure],
  tables: (db) => [db.messages],
  startPage(context) {
    const rows = new Map<number, Entry>();
    /** Status changes of rows written by earlier pages. */
    const updates = new Map<number, MessageStatus>();
    const erased = new Set<string>();
    /** Quarantined inputs of other channels: no row of theirs may stay. */
    const notHl7 = new Set<number>();
    /** The senders and types seen, when this page adds to them: encrypted in prepare(), written in write(). */
    let facets: Uint8Array | null = null;

    function setStatus(seq: number, status: MessageStatus): void {
      const entry = rows.get(seq);
      if (entry === undefined) updates.set(seq, status);
      else rows.set(seq, { ...entry, row: { ...entry.row, status } });
    }

    return {
      async decode(record, meta): Promise<ProjectorStep> {
        if (record.kind === MIND_KINDS.erasure) {
          const parsed = ErasureMetaSchema.safeParse(meta);
          if (!parsed.success) return 'problem';
          const { patientId } = parsed.data;
          return {
            apply: () => {
              erased.add(patientId);
              for (const [seq, entry] of [...rows]) if (entry.row.patientId === patientId) rows.delete(seq);
            },
          };
        }
        if (record.kind === HL7_KIND) {
          const intake = intakeMetaOf(meta);
          if (intake === null) return 'problem';
          const entry = await acceptedEntry(context, record, intake);
          return { apply: () => rows.set(record.seq, entry) };
        }
        if (record.kind === QUARANTINE_KINDS.quarantined) {
          const parsed = QuarantineMetaSchema.safeParse(meta);
          if (!parsed.success) return 'problem';
          if (!isHl7Channel(parsed.data.quarantine.channel)) {
            // A DICOM instance or device report: not an HL7 message (the quarantine lists it). A
            // row a view built before this kept goes when the journal is replayed from the start.
            return {
              apply: () => {
                rows.delete(record.seq);
                notHl7.add(record.seq);
              },
            };
          }
          const entry = await quarantinedEntry(context, record, parsed.data);
          return { apply: () => rows.set(record.seq, entry) };
        }
        const parsed = QuarantineResolutionMetaSchema.safeParse(meta);
        if (!parsed.success) return 'problem';
        if (parsed.data.resolved === false) return 'skip';
        const status: MessageStatus = record.kind === QUARANTINE_KINDS.reprocessed ? 'reprocessed' : 'discarded';
        const { quarantineSeq } = parsed.data;
        return { apply: () => setStatus(quarantineSeq, status) };
      },

      async prepare(db) {
        if (rows.size === 0) return;
        const known = await readMessageFacets(db, context.keys.viewKey);
        const senders = new Set(known.senders);
        const types = new Set(known.types);
        for (const { sender, type } of rows.values()) {
          if (sender !== '' && senders.size < MESSAGE_FACETS_MAX) senders.add(sender);
          if (type !== '' && types.size < MESSAGE_FACETS_MAX) types.add(type);
        }
        if (senders.size === known.senders.length && types.size === known.types.length) return;
        const next: MessageFacets = { senders: [...senders].sort(), types: [...types].sort() };
        const [enc] = await encryptMany(context.keys.viewKey, [{ table: 'meta', id: MESSAGE_FACETS_KEY, value: next }]);
        facets = enc!;
      },

      async write(db) {
        let delta = 0;
        for (const patientId of erased) delta -= await db.messages.where('[patientId+seq]').between([patientId, 0], [patientId, Infinity]).delete();
        if (notHl7.size > 0) {
          const listed = (await db.messages.bulkGet([...notHl7])).filter((row) => row !== undefined).length;
          if (listed > 0) {
            await db.messages.bulkDelete([...notHl7]);
            delta -= listed;
          }
        }
        if (rows.size > 0) {
          // Rows already there (a page replayed after a cursor reset) are put again, not counted again.
          const before = await db.messages.bulkGet([...rows.keys()]);
          delta += before.filter((row) => row === undefined).length;
          await putInParts(db.messages, [...rows.values()].map((entry) => entry.row));
        }
        await addToMessageCount(db, delta);
        for (const [seq, status] of updates) await db.messages.update(seq, { status });
        if (facets !== null) await db.meta.put({ key: MESSAGE_FACETS_KEY, value: facets });
      },
    };
  },
};

/** The senders and message types seen so far (decrypted; empty when none yet). */
export async function readMessageFacets(db: VaultDb, viewKey: CryptoKey): Promise<MessageFacets> {
  const row = await db.meta.get(MESSAGE_FACETS_KEY);
  if (!(row?.value instanceof Uint8Array)) return { senders: [], types: [] };
  const [opened] = await decryptMany<MessageFacets>(viewKey, [{ table: 'meta', id: MESSAGE_FACETS_KEY, stored: row.value }]);
  return { senders: [...(opened?.senders ?? [])], types: [...(opened?.types ?? [])] };
}

async function acceptedEntry(context: ProjectorContext, record: JournalRecord, meta: IntakeMeta): Promise<Entry> {
  const { normalized } = meta;
  const hl7 = normalized.hl7;
  const sender = senderName(hl7?.sendingApplication, hl7?.sendingFacility);
  const type = normalizeMessageType(normalized.messageType);
  const status: MessageStatus = hl7?.conflict === true ? 'conflict' : hl7?.mapping === 'not-mapped' ? 'not-mapped' : 'accepted';
  const payload: MessageLogPayload = {
    kind: record.kind,
    channel: normalized.channel,
    receivedAt: meta.receivedAt ?? record.at,
    sender,
    controlId: normalized.messageId,
    messageType: normalized.messageType,
    ...(hl7?.version !== undefined ? { version: hl7.version } : {}),
    acks: hl7?.ack === undefined ? [] : hl7.ackTexts === undefined ? [hl7.ack] : hl7.ackTexts.map(ackCodeOf).filter((code) => code !== ''),
    ...(hl7?.ackTexts !== undefined ? { ackTexts: hl7.ackTexts } : {}),
    ...(hl7?.mapping !== undefined ? { mapping: hl7.mapping } : {}),
    ...(hl7?.notes !== undefined ? { notes: hl7.notes } : {}),
    ...(hl7?.reprocessOf !== undefined ? { reprocessOf: hl7.reprocessOf } : {}),
    objectId: meta.objectId ?? record.objects[0] ?? null,
    ...(meta.rawBytes !== undefined ? { rawBytes: meta.rawBytes } : {}),
    records: normalized.records.length + (normalized.extendedRecords?.length ?? 0),
  };
  const [patientId, control, senderToken, typeToken, enc] = await Promise.all([
    filedPatientId(context, record.seq, normalized),
    controlTokens(context.tokens, normalized.messageId),
    tokenOf(context, 'sender', sender),
    tokenOf(context, 'type', type),
    encryptMany(context.keys.viewKey, [{ ...messageCipherId(record.seq), value: payload }]).then((out) => out[0]!),
  ]);
  return { row: { seq: record.seq, at: record.at, status, control, sender: senderToken, type: typeToken, patientId, enc }, sender, type };
}

async function quarantinedEntry(context: ProjectorContext, record: JournalRecord, meta: QuarantineMeta): Promise<Entry> {
  const q = meta.quarantine;
  // A header that names no sender: where it came from, as the counters and the quarantine say (QA s34 D4).
  const sender = senderName(q.sendingApplication, q.sendingFacility, q.source);
  const type = normalizeMessageType(q.messageType ?? '');
  const payload: MessageLogPayload = {
    kind: record.kind,
    channel: q.channel,
    receivedAt: meta.receivedAt ?? record.at,
    sender,
    controlId: q.messageId ?? '',
    messageType: q.messageType ?? '',
    ...(q.version !== undefined ? { version: q.version } : {}),
    acks: q.acks,
    ...(q.ackTexts !== undefined ? { ackTexts: q.ackTexts } : {}),
    // Kept "not mapped" (QA s33 D5): not quarantined, so no reason to show as one.
    ...(q.disposition === 'not-mapped' ? { mapping: 'not-mapped' as const } : { reason: q.reason }),
    ...(q.errorCode !== undefined ? { errorCode: q.errorCode } : {}),
    ...(q.errorLocation !== undefined ? { errorLocation: q.errorLocation } : {}),
    ...(q.charset !== undefined ? { charset: q.charset } : {}),
    objectId: meta.objectId ?? record.objects[0] ?? null,
    ...(meta.rawBytes !== undefined ? { rawBytes: meta.rawBytes } : {}),
  };
  const [control, senderToken, typeToken, enc] = await Promise.all([
    controlTokens(context.tokens, q.messageId ?? ''),
    tokenOf(context, 'sender', sender),
    tokenOf(context, 'type', type),
    encryptMany(context.keys.viewKey, [{ ...messageCipherId(record.seq), value: payload }]).then((out) => out[0]!),
  ]);
  const status: MessageStatus = q.disposition === 'not-mapped' ? 'not-mapped' : q.disposition === 'held' ? 'held' : 'rejected';
  return { row: { seq: record.seq, at: record.at, status, control, sender: senderToken, type: typeToken, patientId: '', enc }, sender, type };
}

/** Whether a quarantined input came in through an HL7 channel (or the demo's HL7 messages): the browser lists HL7 only. */
function isHl7Channel(channel: string): boolean {
  return channel.startsWith('hl7') || channel === 'demo';
}

/** A sender's or type's blind token ('' for an empty value: nothing to find it by); control ids have controlTokens. */
function tokenOf(context: ProjectorContext, field: Exclude<MessageField, 'control'>, value: string): Promise<string> {
  if (value === '') return Promise.resolve('');
  return context.tokens.exactToken(MESSAGE_TOKEN_FIELDS[field], value);
}

/** MSA-1 of an ACK text ('' when it has none). */
function ackCodeOf(text: string): string {
  const msa = text.split(/\r\n?|\n/).find((segment) => segment.startsWith('MSA'));
  if (msa === undefined || msa.length < 4) return '';
  return msa.split(msa[3]!)[1] ?? '';
}
