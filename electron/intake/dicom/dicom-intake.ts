import { createHash, webcrypto } from 'node:crypto';
import type { IntakeQuarantine, NormalizedIntake, Patient } from '../../../shared/domain/clinical';
import { DicomInstanceSchema, type DicomInstance } from '../../../shared/domain/dicom';
import type { IntakePipeline } from '../intake-pipeline';
import { MAX_INLINE_OBJECT_BYTES } from '../../storage/journal-format';
import { BufferPool } from '../buffer-pool';
import type { DicomDedupe, DicomDedupeTicket } from './dicom-duplicates';
import { DicomParseError, readDicomIndex, type DicomIndex } from './dicom-index';
import { isKnownCharset, unknownCharsetNote } from '../../../shared/dicom/dicom-charset';
import { buildFileMetaInformation } from './dicom-part10';
import { InflatedPixelDataEndCheck, PixelDataEndCheck } from './pixel-data-end';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN } from './dicom-uids';
import type { CStoreRequest } from './dimse-service';
import { DIMSE_STATUS } from './dimse-command';

/**
 * DICOM intake (design §4): one instance → one sealed `intake.dicom` record, whose raw bytes are
 * the instance as a Part 10 stream (what a C-STORE carried, behind File Meta Information made
 * here). The bytes stream through the sealer into the object store; only the first `headBytes`
 * are held, to read the index fields before the record's metadata is sealed.
 *
 * - Readable with a Patient ID: stored, Success after the journal fsync.
 * - Readable without a Patient ID: stored in quarantine as `held` (nothing to file it under),
 *   Success: the sender did nothing wrong and must not resend.
 * - Unreadable: quarantined as `rejected` with its bytes and the reason, Cannot Understand (C000).
 * - Held or unreadable bytes identical to a quarantine record's (open or settled): answered as
 *   before (Success, or C000), outcome `duplicate`, not quarantined again; with `inQuarantine`
 *   unless a copy of the instance is stored in the studies (then it says so). The
 *   quarantine record carries a `dq` tag of the duplicate index (dicom-duplicates.ts), as an HL7
 *   quarantine record carries its tag (QA round 4 D1).
 * - Storage failing (disk full, vault closing): Out of Resources (A700); nothing is recorded.
 */

export interface DicomIntakeOptions {
  readonly pipeline: Pick<IntakePipeline, 'ingest' | 'quarantine' | 'ingestSettled'>;
  /**
   * Duplicate recognition by SOP Instance UID (dicom-duplicates.ts). Absent: every instance is
   * stored (tests of other parts, benches of the write path alone).
   */
  readonly dedupe?: DicomDedupe;
  /** DICOM Issuer of Patient ID → the HL7 assigning authority of the same identifiers ('' = no issuer sent). */
  readonly issuerAuthorities?: Readonly<Record<string, string>>;
  /** Bytes kept to read the index fields before streaming the rest. Default 1 MiB. */
  readonly headBytes?: number;
}

export interface DicomIntakeOutcome {
  readonly status: number;
  readonly outcome: 'stored' | 'duplicate' | 'conflict' | 'held' | 'quarantined' | 'failed';
  readonly seq?: number;
  /** A duplicate of a quarantine record (held or unreadable bytes sent again): nothing was stored. */
  readonly inQuarantine?: true;
  /** Why it was quarantined or held (no PHI: positions and rules). */
  readonly reason?: string;
}

const DEFAULT_HEAD_BYTES = 1024 * 1024;
/** Recycled head buffers kept between C-STOREs: one per association at the default 8. */
const RECYCLED_HEADS = 8;
/**
 * Complete instances of this size range are sealed from memory (the pipeline seals up to 1 MiB in
 * one call); above the inline limit, so that like streamed ones they always become object files.
 */
const IN_MEMORY_MIN = MAX_INLINE_OBJECT_BYTES + 1;
const IN_MEMORY_MAX = 1024 * 1024;


function clip(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, max);
}

/** DA (YYYYMMDD) → YYYY-MM-DD when it is a real calendar date. */
export function isoDate(da: string | undefined): string | undefined {
  const match = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(da?.trim() ?? '');
  if (match === null) return undefined;
  const iso = `${match[1]}-${match[2]}-${match[3]}`;
  const date = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso ? undefined : iso;
}

/** TM (HHMMSS.FFFFFF, or the older HH:MM:SS) → HH:MM[:SS]. */
export function isoTime(tm: string | undefined): string | undefined {
  const match = /^(\d{2}):?(\d{2})(?::?(\d{2}))?/.exec(tm?.trim() ?? '');
  if (match === null || Number(match[1]) > 23 || Number(match[2]) > 59 || (match[3] !== undefined && Number(match[3]) > 60)) return undefined;
  return match[3] === undefined ? `${match[1]}:${match[2]}` : `${match[1]}:${match[2]}:${match[3]}`;
}

/**
 * PN → family and given names from the alphabetic group, else the ideographic, else the phonetic
 * (PS3.5 6.2.1); the ideographic and phonetic groups after the one used are kept too, their
 * components joined by spaces ("Yamada^Tarou=山田^太郎=やまだ^たろう": Yamada, Tarou, 山田 太郎,
 * やまだ たろう), so a Japanese, Chinese or Korean clinic sees and finds the name as it writes it (QA12 D4).
 */
export function personName(pn: string | undefined): Patient['name'] {
  const groups = (pn ?? '').split('=').slice(0, 3);
  const filled = (group: string | undefined): boolean => group !== undefined && group.replace(/\^/g, '').trim() !== '';
  const used = groups.findIndex(filled);
  const [family = '', given = '', middle = ''] = (used < 0 ? '' : groups[used]!).split('^').map((part) => part.trim());
  const name: { -readonly [K in keyof Patient['name']]: Patient['name'][K] } = { family: family.slice(0, 100), given: [given, middle].filter((part) => part !== '').map((part) => part.slice(0, 100)) };
  // Family, given, middle, prefix, suffix: the name's words in the order written, for display and search.
  const written = (group: string): string =>
    group
      .split('^')
      .slice(0, 3)
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .join(' ')
      .slice(0, 200);
  if (used < 1 && filled(groups[1])) name.ideographic = written(groups[1]!);
  if (used < 2 && filled(groups[2])) name.phonetic = written(groups[2]!);
  return name;
}

/** The index fields as the intake record's `dicom` part (values clipped to the schema's limits). */
export function instanceInfo(index: DicomIndex, source: DicomInstance['source'], callingAeTitle?: string): DicomInstance {
  const info = {
    sopClassUid: index.sopClassUid,
    sopInstanceUid: index.sopInstanceUid,
    studyInstanceUid: index.studyInstanceUid,
    seriesInstanceUid: index.seriesInstanceUid,
    transferSyntaxUid: index.transferSyntaxUid,
    source,
    callingAeTitle: clip(callingAeTitle, 16),
    issuerOfPatientId: clip(index.issuerOfPatientId, 64),
    specificCharacterSet: clip(index.specificCharacterSet, 80),
    modality: clip(index.modality, 16),
    studyDate: isoDate(index.studyDate),
    studyTime: isoTime(index.studyTime),
    // Index fields are kept past their VR's maximum (SH 16, LO 64): modalities and order systems send longer
    // accessions and descriptions, and staff search by what was sent. The bounds only stop garbage.
    studyDescription: clip(index.studyDescription, 128),
    studyId: clip(index.studyId, 64),
    accessionNumber: clip(index.accessionNumber, 64),
    referringPhysicianName: clip(index.referringPhysicianName, 200),
    seriesDescription: clip(index.seriesDescription, 128),
    seriesNumber: index.seriesNumber,
    bodyPartExamined: clip(index.bodyPartExamined, 64),
    instanceNumber: index.instanceNumber,
    numberOfFrames: index.numberOfFrames !== undefined && index.numberOfFrames >= 0 ? index.numberOfFrames : undefined,
    rows: index.rows,
    columns: index.columns,
    institutionName: clip(index.institutionName, 128),
    notes: index.notes.length > 0 ? index.notes.slice(0, 20).map((note) => note.slice(0, 200)) : undefined,
  };
  const defined = Object.fromEntries(Object.entries(info).filter(([, value]) => value !== undefined));
  // Checked here, with the schema the mind reads it with: a record the views cannot read would be lost to them.
  return DicomInstanceSchema.parse(defined);
}

/** The normalized intake of an instance, or null when it names no patient (Patient ID empty). */
export function normalizeInstance(index: DicomIndex, info: DicomInstance, issuerAuthorities: Readonly<Record<string, string>>): NormalizedIntake | null {
  const patientId = clip(index.patientId, 64);
  if (patientId === undefined) return null;
  const issuer = index.issuerOfPatientId?.trim() ?? '';
  const authority = (issuerAuthorities[issuer] ?? issuer).slice(0, 64);
  const birthDate = isoDate(index.patientBirthDate);
  const sex = index.patientSex?.trim().toUpperCase();
  const patient: Patient = {
    identifiers: [{ value: patientId, authority, type: '' }],
    name: personName(index.patientName),
    ...(birthDate !== undefined ? { birthDate } : {}),
    ...(sex === 'F' || sex === 'M' || sex === 'O' ? { sex } : {}),
  };
  return {
    channel: 'dicom',
    messageId: info.sopInstanceUid,
    messageType: `DICOM ${info.modality ?? ''}`.trim().slice(0, 40),
    patient,
    records: [],
    dicom: info,
  };
}

/** What a quarantine record says of an instance: held or rejected, and why. */
interface QuarantineVerdict {
  readonly disposition: IntakeQuarantine['disposition'];
  readonly reason: string;
}

/** A quarantine record written now, or the earlier one holding the same bytes (nothing written). */
type QuarantineWrite = ({ readonly seq: number } | { readonly duplicateOf: number; readonly storedCopy: boolean }) & { readonly verdict: QuarantineVerdict };

/** The outcome of an instance quarantined (or found in the quarantine already) with that verdict. */
function quarantineOutcome(written: QuarantineWrite): DicomIntakeOutcome {
  const { disposition, reason } = written.verdict;
  const status = disposition === 'held' ? DIMSE_STATUS.SUCCESS : DIMSE_STATUS.CANNOT_UNDERSTAND;
  if ('duplicateOf' in written) {
    // The same bytes were quarantined before; a complete copy of the instance may have been stored since (T1 F3).
    if (written.storedCopy) return { status, outcome: 'duplicate', reason: `Already stored: a copy of this instance is in the studies; these bytes, quarantined before, were not stored again. ${reason}`.slice(0, 500) };
    return { status, outcome: 'duplicate', inQuarantine: true, reason: `Quarantined before (an identical copy came earlier; not stored again). ${reason}`.slice(0, 500) };
  }
  return { status, outcome: disposition === 'held' ? 'held' : 'quarantined', seq: written.seq, reason };
}

/**
 * Stores one Part 10 stream whose first bytes are `head` (the whole stream when `rest` is null):
 * reads the index fields from `head`, then streams `head` + `rest` through the pipeline.
 */
async function storePart10(
  options: DicomIntakeOptions,
  head: Buffer,
  rest: AsyncIterator<Buffer> | null,
  context: { readonly source: DicomInstance['source']; readonly callingAeTitle?: string; readonly where: string; readonly expectedSopInstanceUid?: string },
): Promise<DicomIntakeOutcome> {
  // Set once the index is read: a streamed instance's bytes are checked against its Pixel Data as they pass.
  let endCheck = null as PixelDataEndCheck | null;
  // …or, for a deflated data set, as they are inflated.
  let inflatedCheck = null as InflatedPixelDataEndCheck | null;
  // Why the stream was cut short, once its end showed it. Where the write settles after the stream
  // (ingestSettled), the object already written becomes the quarantine's bytes; elsewhere the
  // stream fails (the object is abandoned) and the head is quarantined.
  let cutShort = null as string | null;
  let failOnCut = true;
  const settleCut = (): (() => string | null) => {
    failOnCut = false;
    return () => cutShort;
  };
  const raw: Uint8Array | AsyncIterable<Uint8Array> =
    rest === null
      ? head
      : (async function* whole(): AsyncGenerator<Uint8Array> {
          let position = 0;
          // Synchronous unless the data set is deflated (the inflater may make a piece wait).
          const passing = (piece: Uint8Array): Promise<void> | null => {
            endCheck?.feed(piece, position);
            const inflating = inflatedCheck?.feed(piece, position) ?? null;
            position += piece.length;
            return inflating;
          };
          try {
            const first = passing(head);
            if (first !== null) await first;
            yield head;
            for (;;) {
              const next = await rest.next();
              if (next.done === true) break;
              const inflating = passing(next.value);
              if (inflating !== null) await inflating;
              yield next.value;
            }
            // Thrown before the consumer sees the end: the object being written is abandoned.
            cutShort = endCheck?.problem(position) ?? (inflatedCheck === null ? null : await inflatedCheck.problem());
          } finally {
            inflatedCheck?.close();
          }
          if (cutShort !== null && failOnCut) throw new Error('The data set ends inside Pixel Data.');
        })();
  /**
   * Writes a quarantine record of `bytes` (the whole stream by default), unless the duplicate index
   * knows a quarantine record of the same bytes (then nothing is written). `named`: the SOP
   * Instance UID the bytes are known by (their key; bytes naming none are their own key) and where
   * their data set starts (what is hashed, so that a C-STORE and a file of one instance match).
   * `what` may wait for the end of a stream (a held instance whose end shows it was cut short).
   */
  const quarantine = async (
    what: QuarantineVerdict | (() => QuarantineVerdict),
    extra: Partial<IntakeQuarantine>,
    bytes: Uint8Array | AsyncIterable<Uint8Array> = raw,
    named: { readonly uid?: string | undefined; readonly datasetOffset?: number } = {},
  ): Promise<QuarantineWrite> => {
    const verdictOf = (): QuarantineVerdict => (typeof what === 'function' ? what() : what);
    const record = (verdict: QuarantineVerdict): IntakeQuarantine => ({ type: 'quarantine', channel: 'dicom', disposition: verdict.disposition, reason: verdict.reason.slice(0, 500), acks: [], source: context.where.slice(0, 300), ...extra });
    const dedupe = options.dedupe;
    const start = named.datasetOffset ?? 0;
    const keyOf = (digest: string): string => (named.uid !== undefined && named.uid !== '' ? dedupe!.keyTag(named.uid) : dedupe!.unnamedKeyTag(digest));
    if (bytes instanceof Uint8Array) {
      const verdict = verdictOf();
      const write = async (tag?: string): Promise<{ readonly seq: number; readonly verdict: QuarantineVerdict }> => {
        const { seq } = await options.pipeline.quarantine({ kind: 'intake.quarantine', raw: bytes, quarantine: record(verdict), ...(tag === undefined ? {} : { dedupe: tag }) });
        return { seq, verdict };
      };
      if (dedupe === undefined) return write();
      const digest = createHash('sha256').update(bytes.subarray(Math.min(start, bytes.length))).digest('hex');
      const keyTag = keyOf(digest);
      const payloadTag = dedupe.payloadTag(digest);
      return dedupe.serialized(keyTag, async () => {
        const earlier = await dedupe.checkQuarantine(keyTag, payloadTag);
        if (earlier !== null) return { duplicateOf: earlier, storedCopy: await dedupe.storedCopy(keyTag), verdict };
        const tag = dedupe.quarantineTag(keyTag, payloadTag);
        return dedupe.store(tag, () => write(tag));
      });
    }
    // A stream: its object is written as it arrives; decided (and dropped when known) once it is all sealed.
    const hash = createHash('sha256');
    let position = 0;
    const source = bytes;
    const hashed = (async function* (): AsyncGenerator<Uint8Array> {
      for await (const piece of source) {
        const skip = Math.max(0, Math.min(piece.length, start - position));
        if (skip < piece.length) hash.update(piece.subarray(skip));
        position += piece.length;
        yield piece;
      }
    })();
    let verdict: QuarantineVerdict | null = null;
    let duplicateOf: number | null = null;
    const held: { tag: string; ticket: DicomDedupeTicket | null } = { tag: '', ticket: null };
    const run = async (): Promise<QuarantineWrite> => {
      try {
        const result = await options.pipeline.ingestSettled({ kind: 'intake.dicom', raw: hashed }, async () => {
          verdict = verdictOf();
          if (dedupe === undefined) return { quarantine: record(verdict) };
          const digest = hash.digest('hex');
          const keyTag = keyOf(digest);
          const payloadTag = dedupe.payloadTag(digest);
          duplicateOf = await dedupe.checkQuarantine(keyTag, payloadTag);
          if (duplicateOf !== null) return { drop: true };
          held.ticket = await dedupe.reserve();
          held.tag = dedupe.quarantineTag(keyTag, payloadTag);
          return { quarantine: record(verdict), dedupe: held.tag };
        });
        if (result === null) return { duplicateOf: duplicateOf!, storedCopy: named.uid !== undefined && named.uid !== '' && (await dedupe!.storedCopy(dedupe!.keyTag(named.uid))), verdict: verdict! };
        if (held.ticket !== null) held.ticket.remember(held.tag, result.seq);
        return { seq: result.seq, verdict: verdict! };
      } finally {
        held.ticket?.release();
      }
    };
    // One at a time per UID, as stored copies are; bytes that name none are keyed by their hash, known only at their end.
    return dedupe !== undefined && named.uid !== undefined && named.uid !== '' ? dedupe.serialized(dedupe.keyTag(named.uid), run) : run();
  };
  let index: DicomIndex;
  try {
    index = await readDicomIndex(head, rest === null);
  } catch (error) {
    if (!(error instanceof DicomParseError)) throw error;
    // Nothing readable names the instance: a C-STORE's Affected SOP Instance UID still does (its control id in the quarantine).
    const named = error.partial.sopInstanceUid ?? context.expectedSopInstanceUid;
    // Hashed whole: where the data set starts is not known (a resend of the same bytes matches).
    return quarantineOutcome(await quarantine({ disposition: 'rejected', reason: error.message }, { messageType: 'DICOM', ...(named !== undefined ? { messageId: named.slice(0, 200) } : {}) }, raw, { uid: named }));
  }
  if (rest !== null && index.pixelData !== undefined) {
    if (index.transferSyntaxUid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) inflatedCheck = new InflatedPixelDataEndCheck(index.pixelData, index.datasetOffset);
    else endCheck = new PixelDataEndCheck(index.pixelData);
  }
  try {
    return await storeIndexed(options, head, raw, index, context, quarantine, settleCut);
  } catch (error) {
    if (cutShort === null) throw error;
    // The bytes that passed are gone into an abandoned object; the head (File Meta Information,
    // the index fields and the start of Pixel Data) is what is kept of it.
    const reason = `${cutShort} Its first ${head.length.toLocaleString('en-US')} bytes are kept here.`;
    return quarantineOutcome(await quarantine({ disposition: 'rejected', reason }, { messageType: 'DICOM', messageId: index.sopInstanceUid }, head, { uid: index.sopInstanceUid, datasetOffset: index.datasetOffset }));
  }
}

/** storePart10 once the index fields are read: files, holds or deduplicates the instance. */
async function storeIndexed(
  options: DicomIntakeOptions,
  head: Buffer,
  raw: Uint8Array | AsyncIterable<Uint8Array>,
  index: DicomIndex,
  context: { readonly source: DicomInstance['source']; readonly callingAeTitle?: string; readonly where: string; readonly expectedSopInstanceUid?: string },
  quarantine: (what: QuarantineVerdict | (() => QuarantineVerdict), extra: Partial<IntakeQuarantine>, bytes: Uint8Array | AsyncIterable<Uint8Array>, named: { readonly uid?: string; readonly datasetOffset?: number }) => Promise<QuarantineWrite>,
  /** For a write that settles after the whole stream: the stream then does not fail when cut short; the getter says why it was. */
  settleCut: () => () => string | null,
): Promise<DicomIntakeOutcome> {
  const inMemory = raw === head;
  const notes = [...index.notes];
  if (context.expectedSopInstanceUid !== undefined && context.expectedSopInstanceUid !== index.sopInstanceUid) notes.push('the C-STORE request named another SOP Instance UID than the data set (0008,0018)');
  let info: DicomInstance;
  try {
    info = instanceInfo({ ...index, notes }, context.source, context.callingAeTitle);
  } catch {
    const reason = 'The index fields do not fit the instance record (a UID or date is malformed).';
    return quarantineOutcome(await quarantine({ disposition: 'rejected', reason }, { messageType: 'DICOM', messageId: index.sopInstanceUid }, raw, { uid: index.sopInstanceUid, datasetOffset: index.datasetOffset }));
  }
  const normalized = normalizeInstance(index, info, options.issuerAuthorities ?? {});
  // Stored with its text read as Latin-1: the importer's result says so (the views say it on the study).
  const charsetNote = index.specificCharacterSet !== undefined && !isKnownCharset(index.specificCharacterSet) ? unknownCharsetNote(index.specificCharacterSet) : undefined;
  const noted = (outcome: DicomIntakeOutcome): DicomIntakeOutcome =>
    charsetNote !== undefined && (outcome.outcome === 'stored' || outcome.outcome === 'conflict') && outcome.reason === undefined ? { ...outcome, reason: charsetNote } : outcome;
  // A quarantine record decided once a streamed instance's bytes are all sealed: the object written becomes its bytes.
  const settledQuarantine = (disposition: IntakeQuarantine['disposition'], reason: string): { readonly quarantine: IntakeQuarantine } => ({
    quarantine: { type: 'quarantine', channel: 'dicom', disposition, reason: reason.slice(0, 500), acks: [], source: context.where.slice(0, 300), messageType: 'DICOM', messageId: index.sopInstanceUid },
  });
  if (normalized === null) {
    // A reprocess reads the same bytes, so it cannot file the instance (H6 #1): say what can.
    const reason = 'The instance has no Patient ID (0010,0020): stored, not filed under a patient. It must be sent or imported again with a Patient ID; reprocessing the same bytes cannot file it.';
    const named = { uid: index.sopInstanceUid, datasetOffset: index.datasetOffset };
    if (!inMemory && options.dedupe !== undefined) {
      // Streamed: held, unless its end shows it was cut short; every byte is kept either way, once (design §4).
      const cutShort = settleCut();
      return quarantineOutcome(
        await quarantine(
          () => {
            const cut = cutShort();
            return cut === null ? { disposition: 'held', reason } : { disposition: 'rejected', reason: cut };
          },
          { messageType: 'DICOM', messageId: index.sopInstanceUid },
          raw,
          named,
        ),
      );
    }
    if (!inMemory) {
      // Streamed: held, unless its end shows it was cut short; every byte is kept either way (design §4).
      const cutShort = settleCut();
      const result = await options.pipeline.ingestSettled({ kind: 'intake.dicom', raw }, async () => {
        const cut = cutShort();
        return cut === null ? settledQuarantine('held', reason) : settledQuarantine('rejected', cut);
      });
      const cut = cutShort();
      if (cut !== null) return { status: DIMSE_STATUS.CANNOT_UNDERSTAND, outcome: 'quarantined', ...(result === null ? {} : { seq: result.seq }), reason: cut };
      return { status: DIMSE_STATUS.SUCCESS, outcome: 'held', ...(result === null ? {} : { seq: result.seq }), reason };
    }
    return quarantineOutcome(await quarantine({ disposition: 'held', reason }, { messageType: 'DICOM', messageId: index.sopInstanceUid }, raw, named));
  }
  const dedupe = options.dedupe;
  if (dedupe === undefined) {
    const { seq } = await options.pipeline.ingest({ kind: 'intake.dicom', raw, normalized });
    return noted({ status: DIMSE_STATUS.SUCCESS, outcome: 'stored', seq });
  }
  // Duplicates (design §4 rule 4): one store per UID at a time. The hash covers the data set only:
  // the File Meta Information differs between a C-STORE (made here) and a file of the same instance.
  const keyTag = dedupe.keyTag(info.sopInstanceUid);
  const filedUnder = normalized.patient.identifiers[0]!;
  const patientTag = dedupe.patientTag(filedUnder.value, filedUnder.authority);
  // The same bytes as any copy stored: a duplicate (not stored again). Other bytes: a conflict when
  // a copy of the same patient is stored (the views show both on one instance), else stored (the
  // views file it under its own patient: dicom-duplicates.ts).
  const decide = async (payloadTag: string): Promise<{ readonly outcome: 'duplicate' } | { readonly outcome: 'stored' | 'conflict'; readonly tag: string; readonly normalized: NormalizedIntake }> => {
    const verdict = await dedupe.check(keyTag, payloadTag, patientTag);
    if (verdict === 'duplicate') return { outcome: 'duplicate' };
    const tag = dedupe.journalTag(keyTag, payloadTag, patientTag);
    if (verdict === 'new') return { outcome: 'stored', tag, normalized };
    return { outcome: 'conflict', tag, normalized: { ...normalized, dicom: { ...info, conflict: true } } };
  };
  if (inMemory && head.length >= IN_MEMORY_MIN && head.length <= IN_MEMORY_MAX) {
    // The whole instance is in memory already: decided before anything is written, then sealed in
    // one call and written as one buffer (ingest). A duplicate costs no object file, and an
    // instance costs one SHA-256 of its bytes and a handful of file operations fewer than the
    // streamed path below (measured: the receiver's CPU per 512 KiB instance). The SHA-256 is a
    // WebCrypto job on libuv's thread pool: this thread is the receiver's only one (~0.3 ms saved).
    const datasetDigest = await webcrypto.subtle.digest('SHA-256', head.subarray(Math.min(index.datasetOffset, head.length)));
    const payloadTag = dedupe.payloadTag(Buffer.from(datasetDigest).toString('hex'));
    return dedupe.serialized(keyTag, async (): Promise<DicomIntakeOutcome> => {
      const decision = await decide(payloadTag);
      if (decision.outcome === 'duplicate') return { status: DIMSE_STATUS.SUCCESS, outcome: 'duplicate' };
      const { seq } = await dedupe.store(decision.tag, () => options.pipeline.ingest({ kind: 'intake.dicom', raw: head, normalized: decision.normalized, dedupe: decision.tag }));
      return noted({ status: DIMSE_STATUS.SUCCESS, outcome: decision.outcome, seq });
    });
  }
  // A streamed instance: decided once every byte is sealed and hashed.
  const datasetHash = createHash('sha256');
  let position = 0;
  const hashed = (async function* (): AsyncGenerator<Uint8Array> {
    for await (const piece of raw instanceof Uint8Array ? [raw] : raw) {
      const skip = Math.max(0, Math.min(piece.length, index.datasetOffset - position));
      if (skip < piece.length) datasetHash.update(piece.subarray(skip));
      position += piece.length;
      yield piece;
    }
  })();
  const cutShort = settleCut();
  return dedupe.serialized(keyTag, async (): Promise<DicomIntakeOutcome> => {
    let outcome: DicomIntakeOutcome['outcome'] = 'stored';
    // Cut short, and the same bytes are in the quarantine already: nothing is written.
    let cutAgain: QuarantineVerdict | null = null;
    // The tag's place in the index is held from just before the append (the settle step's answer) until it is remembered.
    const held: { tag: string; ticket: DicomDedupeTicket | null } = { tag: '', ticket: null };
    try {
      const result = await options.pipeline.ingestSettled({ kind: 'intake.dicom', raw: hashed, normalized }, async () => {
        const cut = cutShort();
        if (cut !== null) {
          // Cut short: every byte received is in the object written, which becomes the quarantine's (design §4 rule 1), once.
          const payloadTag = dedupe.payloadTag(datasetHash.digest('hex'));
          if ((await dedupe.checkQuarantine(keyTag, payloadTag)) !== null) {
            cutAgain = { disposition: 'rejected', reason: cut };
            return { drop: true };
          }
          held.ticket = await dedupe.reserve();
          held.tag = dedupe.quarantineTag(keyTag, payloadTag);
          return { ...settledQuarantine('rejected', cut), dedupe: held.tag };
        }
        const decision = await decide(dedupe.payloadTag(datasetHash.digest('hex')));
        outcome = decision.outcome;
        if (decision.outcome === 'duplicate') return { drop: true };
        held.ticket = await dedupe.reserve();
        held.tag = decision.tag;
        return { dedupe: decision.tag, normalized: decision.normalized };
      });
      if (cutAgain !== null) return quarantineOutcome({ duplicateOf: 0, storedCopy: await dedupe.storedCopy(keyTag), verdict: cutAgain });
      if (result === null) return { status: DIMSE_STATUS.SUCCESS, outcome };
      // The record carries the tag: remembered (a restart would read it back from the journal anyway).
      if (held.ticket !== null) held.ticket.remember(held.tag, result.seq);
      const cut = cutShort();
      if (cut !== null) return { status: DIMSE_STATUS.CANNOT_UNDERSTAND, outcome: 'quarantined', seq: result.seq, reason: cut };
      return noted({ status: DIMSE_STATUS.SUCCESS, outcome, seq: result.seq });
    } finally {
      held.ticket?.release();
    }
  });
}

/** The storage side of the C-STORE SCP: resolves the status to answer (A700 when storage fails). */
export function createDicomNetworkIntake(options: DicomIntakeOptions) {
  const headLimit = options.headBytes ?? DEFAULT_HEAD_BYTES;
  // The head is gathered into a recycled buffer (buffer-pool.ts), its fragments copied in as they arrive.
  const heads = new BufferPool(headLimit, RECYCLED_HEADS);
  return async function cStore(request: CStoreRequest): Promise<DicomIntakeOutcome> {
    const meta = buildFileMetaInformation({ sopClassUid: request.sopClassUid, sopInstanceUid: request.sopInstanceUid, transferSyntaxUid: request.context.transferSyntax, sourceAeTitle: request.callingAeTitle });
    // File Meta Information and at least one byte of the data set (a head smaller than that only in tests).
    const limit = Math.max(headLimit, meta.length + 1);
    const buffer = heads.take(limit) ?? Buffer.allocUnsafe(limit);
    buffer.set(meta, 0);
    let head = buffer.subarray(0, meta.length);
    try {
      // Synchronous up to here: the fragments that arrive next are copied straight into the head.
      const filled = await request.dataset.fill(buffer, meta.length, limit);
      head = buffer.subarray(0, filled.bytes);
      const outcome = await storePart10(options, head, filled.complete ? null : request.dataset[Symbol.asyncIterator](), {
        source: 'network',
        callingAeTitle: request.callingAeTitle,
        where: `${request.callingAeTitle}@${request.peerAddress}`,
        expectedSopInstanceUid: request.sopInstanceUid,
      });
      // Settled: every reader of the head (the index, the digest job's copy, the sealer) has finished.
      heads.give(head);
      return outcome;
    } catch {
      // Nothing more is wanted of the data set (its iterator, when one was taken, has stopped it already).
      request.dataset.discard();
      return { status: DIMSE_STATUS.OUT_OF_RESOURCES, outcome: 'failed' };
    }
  };
}

/** Stores one whole Part 10 file (an import): the same checks and records as a C-STORE. */
export function storeDicomFile(options: DicomIntakeOptions, bytes: Uint8Array, where: string): Promise<DicomIntakeOutcome> {
  return storePart10(options, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), null, { source: 'import', where });
}

/**
 * Stores one Part 10 stream that arrives in pieces (a large import): `head` is its first bytes
 * (File Meta Information and at least the index fields, or the whole stream when `rest` is null),
 * `rest` the pieces after them. The same checks and records as a C-STORE; the bytes stream through
 * the sealer into the object store.
 */
export function storeDicomStream(options: DicomIntakeOptions, head: Buffer, rest: AsyncIterator<Buffer> | null, where: string): Promise<DicomIntakeOutcome> {
  return storePart10(options, head, rest, { source: 'import', where });
}
