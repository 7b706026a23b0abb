import { LEDGER_ENTRY_KIND } from '../journal/journal-kinds';
import { z } from 'zod';
import { SignedEntrySchema } from '../ledger/ledger-schema';
import { method } from './method';

const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/);
const exportHandle = z.string().regex(/^[0-9a-f]{32}$/);

/** The journal kind of a signed ledger entry; only `ledger.append` writes it. */
/** An access report's scope as its file name carries it (ledger.exportAccessReport): no names, by construction. */
export const ACCESS_REPORT_SCOPE = /^(?=.)(?:patient-0x[0-9a-f]{6}|patients-[0-9]{1,6})?(?:-?operator-0x[0-9a-f]{6})?(?:-?from-[0-9]{8})?(?:-?to-[0-9]{8})?$/;

export const LEDGER_ENTRY_JOURNAL_KIND = LEDGER_ENTRY_KIND;
/** One `ledger.publish` carries at most this many entries. */
export const LEDGER_PUBLISH_MAX = 500;
/** One `ledger.exportAppend` carries at most this many characters (the mind sends a large export in chunks). */
export const LEDGER_EXPORT_CHUNK_CHARS = 4 * 1024 * 1024;
/** An export's file name as the body gives it (electron/ledger/export-files.ts): kind, UTC stamp, scope and suffix, extension. */
export const EXPORT_FILE_NAME = /^(?:access-report-\d{8}T\d{6}Z(?:-[0-9a-z-]+)?\.csv|ledger-\d{8}T\d{6}Z(?:-\d+)?\.jsonl|node-info-\d{8}T\d{6}Z(?:-\d+)?\.json)$/;

/**
 * The signed ledger (design §5) as the body sees it: sealed entries to append, and export files to
 * write. The body never reads an entry (they are sealed to the vault's key); it only keeps the
 * per-node sequence honest and writes files the mind composed.
 */
export const ledgerMethods = {
  /**
   * Appends one signed entry as a `ledger.entry` journal record (meta = the sealed entry) with the
   * plaintext note `{ledgerSeq}`. Compare-and-append: refused with E_CONFLICT unless the journal
   * holds exactly ledgerSeq − 1 entries, so two windows of one vault can never fork the chain.
   */
  'ledger.append': method(
    z.strictObject({
      ledgerSeq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
      meta: base64url.min(1).max(1024 * 1024),
      /**
       * The same entry in the clear ({entry, signature}: hashes and pseudonyms only), for the body's
       * outbox to the network's notary (electron/ledger/ledger-outbox.ts). Its seq must be ledgerSeq.
       */
      signed: SignedEntrySchema,
    }),
    z.strictObject({ seq: z.number().int().positive() }),
  ),
  /**
   * Backfills the outbox with entries it lacks (signed before it existed, or lost by a crash between
   * the journal's fsync and the outbox's): they must continue it exactly and not go beyond the
   * entries the journal holds. Answers the outbox's last seq.
   */
  'ledger.publish': method(
    z.strictObject({ entries: z.array(SignedEntrySchema).min(1).max(LEDGER_PUBLISH_MAX) }),
    z.strictObject({ lastSeq: z.number().int().nonnegative() }),
  ),
  /** How far the outbox and the journal's ledger reach (the mind backfills the difference). */
  'ledger.outboxStatus': method(z.strictObject({}), z.strictObject({ outboxLastSeq: z.number().int().nonnegative(), journalLastSeq: z.number().int().nonnegative() })),
  /**
   * Starts an export file in `<data>/exports/`: `ledger-<UTC>.jsonl` or `node-info-<UTC>.json`
   * (mode 0600). The text follows in chunks (exportAppend); exportFinish makes it durable and gives
   * it its name; exportAbort (or a body stop) deletes it. At most 4 exports are open at a time.
   */
  'ledger.exportBegin': method(
    z.strictObject({ kind: z.enum(['ledger', 'nodeInfo']) }),
    z.strictObject({ handle: exportHandle }),
  ),
  'ledger.exportAppend': method(
    z.strictObject({ handle: exportHandle, text: z.string().max(LEDGER_EXPORT_CHUNK_CHARS) }),
    z.strictObject({ bytes: z.number().int().nonnegative() }),
  ),
  'ledger.exportFinish': method(
    z.strictObject({ handle: exportHandle }),
    z.strictObject({ path: z.string(), bytes: z.number().int().nonnegative() }),
  ),
  'ledger.exportAbort': method(z.strictObject({ handle: exportHandle }), z.strictObject({})),
  /**
   * Writes an access report (CSV, composed by the mind from the ledger's view) to
   * `<data>/exports/access-report-<UTC>.csv` (mode 0600) in one call, and journals the export
   * (`audit.exported`) under the operator of the calling session. Only the roles of
   * ACCESS_REPORT_EXPORT_ROLES (method-access.ts) may: a researcher is refused (E_FORBIDDEN). The
   * body prefixes with ' every cell a spreadsheet would run as a formula (=, +, -, @, a tab or a
   * carriage return first), whatever the client sent; text that is not CSV is E_BAD_REQUEST. The
   * file names patients and operators: it is a report for a compliance officer, like a printed one.
   */
  'ledger.exportAccessReport': method(
    z.strictObject({
      text: z.string().max(LEDGER_EXPORT_CHUNK_CHARS),
      rows: z.number().int().nonnegative().max(1_000_000),
      /**
       * The ledger subjects (bytes32 pseudonyms, as the signed entries carry them) of the patients the
       * report names: kept beside the file, so that erasing one of them removes the report
       * (electron/ledger/access-report-subjects.ts). No name, no identifier.
       */
      subjects: z.array(z.string().regex(/^0x[0-9a-f]{64}$/)).max(20_000).optional(),
      /**
       * What the report was filtered to, for the file's name (QA s35 T2 F5): pseudonym starts, counts
       * and dates only (the name is journaled, so never a person's name): `patient-0xdf1548` or
       * `patients-3`, `operator-0x1a2b3c`, `from-20261201`, `to-20261207`, joined by '-'.
       */
      scope: z.string().regex(ACCESS_REPORT_SCOPE).optional(),
    }),
    /**
     * `text`: the file as written (byte-order mark and prefixes included), for the caller this
     * method admitted to save where it can reach (a browser download; issue 11 F4): the data folder
     * may belong to a service account. Its SHA-256 is the one the export's ledger entry signs.
     */
    z.strictObject({ path: z.string(), bytes: z.number().int().nonnegative(), text: z.string() }),
  ),
  /**
   * The desktop app's save dialog for a copy of an export this node wrote into `<data>/exports/`
   * (`file`: its name as an export call answered it). The roles that may write that kind of export
   * may save it (an access report: ACCESS_REPORT_EXPORT_ROLES; the ledger: LEDGER_EXPORT_ROLES; the
   * node info: anyone signed in, it is public). `path` is null when the user cancelled. E_UNAVAILABLE
   * in the browser shell, which has no native dialog: the page downloads the file there.
   */
  'ledger.saveExportAs': method(
    z.strictObject({ file: z.string().regex(EXPORT_FILE_NAME) }),
    z.strictObject({ path: z.string().nullable() }),
  ),
} as const;
