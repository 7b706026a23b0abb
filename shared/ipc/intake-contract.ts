import { z } from 'zod';
import { event, method } from './method';

/** The log components a discard is written under, by the channel that quarantined the input. */
export const QUARANTINE_LOG_CHANNELS = ['hl7', 'dicom', 'devices'] as const;
export type QuarantineLogChannel = (typeof QUARANTINE_LOG_CHANNELS)[number];

export const INTAKE_CHANNELS = ['hl7-mllp', 'dicom', 'devices', 'file-import'] as const;
export type IntakeChannelName = (typeof INTAKE_CHANNELS)[number];

export const ListenerStatusSchema = z.strictObject({
  channel: z.enum(INTAKE_CHANNELS),
  /**
   * hl7-mllp: `listening` on address:port; `closed` with the reason (no vault yet, disabled by
   * port 0 or `--mllp-port 0`, the node stopping); `error` with the reason (port in use…).
   * file-import: `listening` once a vault exists (files can be imported), else `closed`.
   */
  state: z.enum(['closed', 'listening', 'error']),
  /** Why a listener is closed or failed, in words for the intake monitor. */
  reason: z.string().max(500).optional(),
  /** hl7-mllp closed on purpose: by `--mllp-port 0` for this run, or by port 0 in the intake settings. */
  off: z.enum(['command-line', 'settings']).optional(),
  address: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  /** hl7-mllp listening on every address (0.0.0.0, ::): this computer's addresses, others than loopback first. */
  addresses: z.array(z.string().max(64)).max(8).optional(),
});
export type ListenerStatus = Readonly<z.infer<typeof ListenerStatusSchema>>;

export const IntakeStatusSchema = z.strictObject({
  listeners: z.array(ListenerStatusSchema),
});
export type IntakeStatus = Readonly<z.infer<typeof IntakeStatusSchema>>;

// ------------------------------------------------------------------------------------------------
// HL7 v2 intake's data types (issue 4). The `hl7.*` methods that carry them are in hl7-contract.ts;
// the types stay here, where the mind's intake screens and the vault service import them from.

/** MSH-18 values the HL7 front end decodes (the default charset applies when MSH-18 is empty). */
export const HL7_CHARSETS = ['ASCII', '8859/1', '8859/2', '8859/5', '8859/7', '8859/15', 'UNICODE UTF-8'] as const;
export type Hl7Charset = (typeof HL7_CHARSETS)[number];

/** One file in an import: at most 16 MiB. One import (all its files): at most 64 MiB. */
export const INTAKE_FILE_MAX_BYTES = 16 * 1024 * 1024;
export const INTAKE_IMPORT_MAX_BYTES = 64 * 1024 * 1024;
/** Files per import. */
export const INTAKE_IMPORT_MAX_FILES = 1000;
/** The most files one import (the operator's choice, sent in many calls) is said to have. */
export const IMPORT_MAX_TOTAL = 1_000_000;
const importPlace = z.number().int().positive().max(IMPORT_MAX_TOTAL);
/**
 * The places (1-based) in the operator's whole import of the files one import call sends, and the
 * import's file count: an import goes in many calls, so only the mind knows them. A quarantined
 * file's source says it ("file 10 of 11"); one place per file sent (E_BAD_REQUEST otherwise).
 */
export const ImportPositionSchema = z
  .strictObject({ files: z.array(importPlace).min(1).max(INTAKE_IMPORT_MAX_FILES), of: importPlace })
  .refine((p) => p.files.every((file) => file <= p.of), { message: 'position: a file number larger than the file count of the import.' });
/** One file's place in the operator's import (a file streamed on its own). */
export const FilePositionSchema = z.strictObject({ file: importPlace, of: importPlace }).refine((p) => p.file <= p.of, { message: 'position: a file number larger than the file count of the import.' });

/**
 * Base64url characters per call that carries bytes (an upload chunk, or inline `files` / `raw`):
 * 512 KiB of bytes, so a call always fits the browser shell's 1 MiB WebSocket frame.
 */
export const INTAKE_CHUNK_MAX_CHARS = Math.ceil((512 * 1024 * 4) / 3);
/** Uploads open at once; an upload not used within 10 minutes is dropped. */
export const INTAKE_UPLOADS_MAX_OPEN = 4;

export const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/);
const count = z.number().int().nonnegative();
const isoTime = z.iso.datetime();
/** An upload's handle (intake.uploadBegin); hl7.importFiles and hl7.reprocess consume theirs. */
export const uploadHandle = z.string().regex(/^[0-9a-f]{32}$/);
export const journalSeq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const ipAddress = z.union([z.ipv4(), z.ipv6()]);
/*
 * Who acts in a quarantine act (intake.discard, hl7.reprocess, dicom.reprocess, a streamed
 * reprocess) or a counters reset is never in the payload: the body records the calling session's
 * operator (its account id, in the act's sealed meta as `operatorId`; the record's own operator is
 * null) and the mind's ledger writer signs the act under that operator's pseudonym. A payload that
 * names an operator is refused (strict schemas): a clinician could otherwise journal their act as
 * an administrator (tester's finding 1).
 */

/** MSH-3|MSH-4 as sent (application and facility, never a person), or `peer <address>` when unreadable. */
const senderName = z.string().max(401);

export const Hl7SenderCountersSchema = z.strictObject({
  sender: senderName,
  received: count,
  accepted: count,
  errored: count,
  duplicates: count,
  conflicts: count,
  /**
   * The sender's messages an operator ran again from the quarantine: counted here, not in the
   * figures above, which count what the sender sent. Absent in counters saved before it was kept.
   */
  reprocessed: count.optional(),
  lastAt: isoTime,
});
export type Hl7SenderCounters = Readonly<z.infer<typeof Hl7SenderCountersSchema>>;

export const Hl7RecentMessageSchema = z.strictObject({
  at: isoTime,
  /** hl7-reprocess: an operator ran a quarantined message again (not the sender). */
  channel: z.enum(['hl7-mllp', 'hl7-file', 'hl7-reprocess']),
  sender: senderName,
  /** MSH-10 (may be empty when the header could not be read). */
  controlId: z.string().max(200),
  /** MSH-9, e.g. `ADT^A01^ADT_A01`. */
  messageType: z.string().max(40),
  /** The ACK codes sent, in order: `['AA']`, `['CA', 'AA']`, `['AR']`; for file import the original-mode code. */
  acks: z.array(z.string().max(2)).max(4),
  duplicate: z.literal(true).optional(),
  conflict: z.literal(true).optional(),
  quarantined: z.literal(true).optional(),
  /** Why it was not accepted, in words (rules and positions, never values). */
  reason: z.string().max(500).optional(),
});
export type Hl7RecentMessage = Readonly<z.infer<typeof Hl7RecentMessageSchema>>;

export const IntakeTotalsSchema = z.strictObject({
  received: count,
  accepted: count,
  errored: count,
  duplicates: count,
  conflicts: count,
  /** Frames over the size cap (also counted in received and errored). */
  oversize: count,
  /** Messages an operator ran again from the quarantine (not in received or the others). Absent in counters saved before it was kept. */
  reprocessed: count.optional(),
});
export type IntakeTotals = Readonly<z.infer<typeof IntakeTotalsSchema>>;

/** One 10-second bucket; `t` = its start in epoch seconds. The last 10 minutes, oldest first, empty buckets included. */
export const ThroughputBucketSchema = z.strictObject({ t: count, received: count, errored: count });
export type ThroughputBucket = Readonly<z.infer<typeof ThroughputBucketSchema>>;
export const THROUGHPUT_BUCKET_SECONDS = 10;
export const THROUGHPUT_BUCKETS = 60;

export const MllpConnectionSchema = z.strictObject({
  /** address:port of the sending system. */
  peer: z.string().max(80),
  since: isoTime,
  /** Frames received on this connection. */
  received: count,
});

/**
 * Why the MLLP listener refused a connection as it connected (nothing the peer sent is read), or
 * closed it for not completing a frame in time ('frame-timeout': a half-open frame keeps no slot).
 */
export const MLLP_REFUSAL_REASONS = ['not-allowed', 'too-many', 'full', 'frame-timeout'] as const;
export const MAX_REFUSED_PEERS = 100;

/** Connections from one address refused for one reason since the listener started. */
export const MllpRefusedPeerSchema = z.strictObject({
  address: z.string().max(64),
  reason: z.enum(MLLP_REFUSAL_REASONS),
  count,
  first: isoTime,
  last: isoTime,
});
export type MllpRefusedPeer = Readonly<z.infer<typeof MllpRefusedPeerSchema>>;

/**
 * The intake monitor's data, kept by the body since it started (counters restart with the node).
 * No PHI: senders are systems, messages are named by control id and type only.
 */
export const IntakeMonitorSchema = z.strictObject({
  /** The HL7 listener's status (the same entry as in intake.status). */
  listener: ListenerStatusSchema,
  /** Since when totals and senders count (they are kept across restarts): the first start with this vault, or the last reset. */
  countersSince: isoTime.optional(),
  totals: IntakeTotalsSchema,
  senders: z.array(Hl7SenderCountersSchema).max(10_000),
  /** Newest first, at most 200. */
  recent: z.array(Hl7RecentMessageSchema).max(1000),
  throughput: z.array(ThroughputBucketSchema).max(THROUGHPUT_BUCKETS),
  connections: z.array(MllpConnectionSchema).max(1000),
  /** Connections refused at connect since the listener started (allow-list, per-address limit, every slot taken), the latest first; absent: none. */
  refused: z.array(MllpRefusedPeerSchema).max(MAX_REFUSED_PEERS).optional(),
  /** Refusals from addresses past the MAX_REFUSED_PEERS listed; absent: none. */
  refusedOthers: count.optional(),
});
export type IntakeMonitor = Readonly<z.infer<typeof IntakeMonitorSchema>>;

/** One message's outcome in a file import or a reprocess. */
export const IntakeMessageResultSchema = z.strictObject({
  /** Index of the file in the import (0 for a reprocess). */
  file: count,
  /** Index of the message in its file (batches and multi-message files hold many). */
  index: count,
  messageType: z.string().max(40),
  controlId: z.string().max(200),
  /** Stored → AA, could not store (retry later) → AE, rejected (quarantined) → AR. */
  ack: z.enum(['AA', 'AE', 'AR']),
  reason: z.string().max(500).optional(),
  /** Already received before with the same content: not stored again. */
  duplicate: z.boolean().optional(),
  /** Same sender and control id as an earlier message with other content: stored and flagged. */
  conflict: z.boolean().optional(),
  /** Stored in quarantine (rejected, or accepted without a patient to file it under). */
  quarantined: z.boolean().optional(),
  mapping: z.enum(['mapped', 'partial', 'not-mapped']).optional(),
  /** The message came in a batch whose BTS-1 / FTS-1 count disagreed with what it held (counts only): every message was still processed. */
  batchNote: z.string().max(300).optional(),
});
export type IntakeMessageResult = Readonly<z.infer<typeof IntakeMessageResultSchema>>;

const charset = z.enum(HL7_CHARSETS);

export const IntakeSettingsSchema = z.strictObject({
  /** TCP port of the MLLP listener; 0 = disabled. Default 2575. */
  port: z.number().int().min(0).max(65535),
  /** The address to listen on. Default 127.0.0.1 (this computer only); a LAN address needs allowedPeers. */
  bindAddress: ipAddress,
  /**
   * IP addresses allowed to connect. Empty: any peer, permitted only on a loopback bindAddress.
   * Not empty: enforced on every bind address (loopback included).
   */
  allowedPeers: z.array(ipAddress).max(256),
  /** Largest message (MLLP frame or message in a file), bytes. Default 16 MiB. */
  maxMessageBytes: z.number().int().min(1024).max(INTAKE_FILE_MAX_BYTES),
  /** Charset of messages whose MSH-18 is empty. Default UNICODE UTF-8. */
  defaultCharset: charset,
  /**
   * Concurrent MLLP connections from one peer address (the listener takes 64 in all), so that one
   * address cannot take every slot. Default 16; absent in settings saved before it existed.
   */
  maxConnectionsPerPeer: z.number().int().min(1).max(64).optional(),
});
export type IntakeSettings = Readonly<z.infer<typeof IntakeSettingsSchema>>;

export const DEFAULT_INTAKE_SETTINGS: IntakeSettings = {
  port: 2575,
  bindAddress: '127.0.0.1',
  allowedPeers: [],
  maxMessageBytes: INTAKE_FILE_MAX_BYTES,
  defaultCharset: 'UNICODE UTF-8',
  maxConnectionsPerPeer: 16,
};

export const IntakeSettingsAnswerSchema = z.strictObject({
  /** As saved in `<data>/intake-settings.json`. */
  settings: IntakeSettingsSchema,
  /** The port given on the command line (`--mllp-port N`) for this run, overriding settings.port; null when none. */
  portOverride: z.number().int().min(0).max(65535).nullable(),
  /** The HL7 listener's status after the settings were applied. */
  listener: ListenerStatusSchema,
});
export type IntakeSettingsAnswer = Readonly<z.infer<typeof IntakeSettingsAnswerSchema>>;

export const intakeMethods = {
  /** Every channel's state, derived from the registered channels (HL7 MLLP, file import, DICOM, devices). */
  'intake.status': method(z.strictObject({}), IntakeStatusSchema),
  /**
   * Opens an upload: a staging area in the body's memory for the bytes of files to import (or of
   * one message to reprocess). At most INTAKE_UPLOADS_MAX_OPEN at once (E_CONFLICT beyond).
   * The import methods of a channel (hl7.importFiles, hl7.reprocess) consume it.
   */
  'intake.uploadBegin': method(z.strictObject({}), z.strictObject({ handle: uploadHandle })),
  /**
   * Appends a chunk to file `file` of the upload. Files are sent in order: `file` is the index of
   * the last file (continue it) or the next one (start it; an empty chunk starts an empty file).
   * E_BAD_REQUEST beyond INTAKE_FILE_MAX_BYTES per file, INTAKE_IMPORT_MAX_BYTES in all, or
   * INTAKE_IMPORT_MAX_FILES files; E_CONFLICT for an unknown or expired handle.
   */
  'intake.uploadAppend': method(
    z.strictObject({ handle: uploadHandle, file: z.number().int().min(0).max(INTAKE_IMPORT_MAX_FILES - 1), chunk: base64url.max(INTAKE_CHUNK_MAX_CHARS) }),
    z.strictObject({ bytes: count }),
  ),
  /** Drops an upload (also done by the imports that consume theirs). */
  'intake.uploadAbort': method(z.strictObject({ handle: uploadHandle }), z.strictObject({})),
  /**
   * Discards a quarantined input, whatever channel quarantined it: journals `intake.discarded` as
   * the calling session's operator (plaintext note {quarantineSeq}; sealed meta {v:1,
   * type:'discarded', quarantineSeq, at, operatorId}). The
   * quarantine record and its raw bytes stay in the vault (the journal is append-only; erasure is
   * vault.erase). E_BAD_REQUEST when quarantineSeq is not an `intake.quarantine` record;
   * E_CONFLICT when it was resolved by a reprocess or discarded already. `channel`: which channel
   * quarantined it, as the mind read it from the sealed record (the body cannot), only to log the
   * discard under that channel's component (QA round 4 D8b); without it the log says "intake".
   */
  'intake.discard': method(
    z.strictObject({ quarantineSeq: journalSeq, channel: z.enum(QUARANTINE_LOG_CHANNELS).optional() }),
    z.strictObject({ seq: journalSeq }),
  ),
} as const;

export const intakeEvents = {
  'intake.statusChanged': event(IntakeStatusSchema),
} as const;
