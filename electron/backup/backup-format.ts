import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { decodeEnvelopeHeader, ENVELOPE_HEADER_LENGTH, EnvelopeError } from '../../shared/crypto/envelope-format';
import { KeyringSchema, type Keyring } from '../../shared/ipc';
import { Refusal } from '../errors/refusal';
import { backupStartProblem, readBackupStart } from './backup-file-start';

/** A refusal of backup work (the router turns it into a wire error). */
export class BackupRefusal extends Refusal {}

/**
 * A backup file (`.hdmsbak`), version 1:
 *
 *   8 bytes   magic "HDMSBAK1"
 *   4 bytes   preamble length n, u32 big-endian (1 … 16 MiB)
 *   n bytes   preamble, UTF-8 JSON {"format":"hdms-backup","version":1,"createdAt":…,"keyring":{…}}
 *   then      ONE sealed envelope (kind `backup`, sealed to the vault's intake public key) of the
 *             container stream below.
 *
 * The preamble is readable without any key, on purpose: the keyring in it is what a restore needs
 * to recover the master secret (with a passphrase or the recovery key) and from it the intake
 * private key, which unwraps the envelope's data key. The keyring holds only wrapped secrets.
 *
 * Container stream (the envelope's plaintext), entries back to back:
 *
 *   2 bytes   path length p, u16 big-endian (1 … 1024); 0 ends the container
 *   p bytes   path, UTF-8, relative to `vault/`: `created-at` (first, and no vault file: see
 *             CREATED_AT_ENTRY), `keys.json`, `journal/journal.hdj`,
 *             `objects/ab/<62 hex>`, `intake/hl7-dedupe/key` (the HL7 duplicate index's 32-byte
 *             key, present when the vault has one; backups made before it was carried lack it) or
 *             `intake/dicom-dedupe/key` (the DICOM duplicate index's, likewise; versions before it
 *             refuse a backup that carries it) or `intake/device-dedupe/key` (the device readings'
 *             duplicate index's, likewise); nothing else is accepted on restore
 *   8 bytes   size s, u64 big-endian
 *   s bytes   the file's bytes (objects and the journal are stored as they are: already sealed)
 *   …
 *   2 bytes   0
 *   4 bytes   number of entries, u32 big-endian
 */
export const BACKUP_MAGIC = Buffer.from('HDMSBAK1', 'ascii');
export const BACKUP_FORMAT = 'hdms-backup';
export const BACKUP_EXTENSION = '.hdmsbak';
export const MAX_PREAMBLE_BYTES = 16 * 1024 * 1024;
export const MAX_PATH_BYTES = 1024;

export const BackupPreambleSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(1),
  createdAt: z.iso.datetime(),
  keyring: KeyringSchema,
  /**
   * keyringDigest(keyring), written since scheduled backups: a keyring altered in the file is then
   * reported as damage before anyone types a passphrase (without it a flipped byte in a wrapped
   * slot reads as a wrong passphrase). Backups without it still restore; versions before it refuse
   * backups that carry it (strict preamble).
   */
  keyringSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type BackupPreamble = Readonly<z.infer<typeof BackupPreambleSchema>>;

/**
 * The backup's date, sealed (ISO 8601, UTF-8), written first since H6 F5: the preamble's createdAt
 * is in clear and covered by no check, so a restore compares the two once the key opens the file.
 * Backups without it still restore (their date is not checked); versions before it refuse backups
 * that carry it.
 */
export const CREATED_AT_ENTRY = 'created-at';
export const MAX_CREATED_AT_BYTES = 64;
export const KEYS_ENTRY = 'keys.json';
export const JOURNAL_ENTRY = 'journal/journal.hdj';
/** The journal's dedupe tags are keyed with it: without it a restored index matches no earlier message. */
export const DEDUPE_KEY_ENTRY = 'intake/hl7-dedupe/key';
/** The DICOM intake's tags are keyed with this one, for the same reason. */
export const DICOM_DEDUPE_KEY_ENTRY = 'intake/dicom-dedupe/key';
/** The device intake's reading tags are keyed with this one, for the same reason. */
export const DEVICE_DEDUPE_KEY_ENTRY = 'intake/device-dedupe/key';
export const DEDUPE_KEY_BYTES = 32;
const OBJECT_ENTRY = /^objects\/([0-9a-f]{2})\/([0-9a-f]{62})$/;

export type ContainerPath =
  | { readonly kind: 'createdAt' }
  | { readonly kind: 'keys' }
  | { readonly kind: 'journal' }
  | { readonly kind: 'dedupeKey' }
  | { readonly kind: 'dicomDedupeKey' }
  | { readonly kind: 'deviceDedupeKey' }
  | { readonly kind: 'object'; readonly id: string };

/**
 * Classifies a container path; throws for anything else. Only these fixed shapes exist, so no path can
 * climb out of the restore folder (no `..`, no absolute paths, no backslashes, no drive letters).
 */
export function parseContainerPath(name: string): ContainerPath {
  if (name === CREATED_AT_ENTRY) return { kind: 'createdAt' };
  if (name === KEYS_ENTRY) return { kind: 'keys' };
  if (name === JOURNAL_ENTRY) return { kind: 'journal' };
  if (name === DEDUPE_KEY_ENTRY) return { kind: 'dedupeKey' };
  if (name === DICOM_DEDUPE_KEY_ENTRY) return { kind: 'dicomDedupeKey' };
  if (name === DEVICE_DEDUPE_KEY_ENTRY) return { kind: 'deviceDedupeKey' };
  const match = OBJECT_ENTRY.exec(name);
  if (match !== null) return { kind: 'object', id: match[1]! + match[2]! };
  throw malformed('it names a file outside the vault layout');
}

export function encodePreamble(preamble: BackupPreamble): Buffer {
  const json = Buffer.from(JSON.stringify(preamble), 'utf8');
  const head = Buffer.alloc(BACKUP_MAGIC.length + 4);
  BACKUP_MAGIC.copy(head, 0);
  head.writeUInt32BE(json.length, BACKUP_MAGIC.length);
  return Buffer.concat([head, json]);
}

export function entryHeader(name: string, size: number): Buffer {
  const pathBytes = Buffer.from(name, 'utf8');
  const out = Buffer.alloc(2 + pathBytes.length + 8);
  out.writeUInt16BE(pathBytes.length, 0);
  pathBytes.copy(out, 2);
  out.writeBigUInt64BE(BigInt(size), 2 + pathBytes.length);
  return out;
}

export function containerEnd(entries: number): Buffer {
  const out = Buffer.alloc(6);
  out.writeUInt16BE(0, 0);
  out.writeUInt32BE(entries, 2);
  return out;
}

export function malformed(why: string): BackupRefusal {
  return new BackupRefusal('E_BAD_REQUEST', `The backup file is damaged: ${why}.`);
}

/** A file that starts as a backup but whose clear part is cut short or altered: damaged, not foreign. */
export function damagedHead(why: string): BackupRefusal {
  return new BackupRefusal('E_BAD_REQUEST', `The backup file is damaged or incomplete (${why}).`);
}

/** SHA-256 (hex) of the keyring's canonical JSON: lets a restore tell a damaged keyring from a wrong passphrase. */
export function keyringDigest(keyring: Keyring): string {
  return createHash('sha256').update(JSON.stringify(KeyringSchema.parse(keyring)), 'utf8').digest('hex');
}

export interface BackupHead {
  readonly preamble: BackupPreamble;
  /** Where the sealed envelope starts. */
  readonly envelopeOffset: number;
  /** The envelope's 140 header bytes. */
  readonly envelopeHeader: Uint8Array;
  /** The whole file's size. */
  readonly bytes: number;
}

/** Reads and checks the clear part of a backup file: the preamble and the envelope header. */
export async function readBackupHead(file: string): Promise<BackupHead> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BackupRefusal('E_BAD_REQUEST', code === 'ENOENT' ? 'No backup file at that path.' : `The backup file cannot be opened (${code ?? 'error'}).`);
  }
  try {
    const { size } = await handle.stat();
    const head = await readBackupStart(handle);
    const problem = backupStartProblem(head);
    if (problem !== null) throw new BackupRefusal('E_BAD_REQUEST', problem);
    const length = head.readUInt32BE(BACKUP_MAGIC.length);
    if (length === 0 || length > MAX_PREAMBLE_BYTES) throw damagedHead('its preamble length is out of range');
    if (head.length + length + ENVELOPE_HEADER_LENGTH > size) throw damagedHead('it ends before its sealed content begins: a copy cut short?');
    const json = Buffer.alloc(length);
    await handle.read(json, 0, length, head.length);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json.toString('utf8'));
    } catch {
      throw damagedHead('its preamble is not JSON');
    }
    const preamble = BackupPreambleSchema.safeParse(parsed);
    if (!preamble.success) throw damagedHead(`its preamble breaks the schema at ${preamble.error.issues[0]?.path.map(String).join('.') || '(root)'}`);
    if (preamble.data.keyringSha256 !== undefined && preamble.data.keyringSha256 !== keyringDigest(preamble.data.keyring)) {
      throw damagedHead('its keyring does not match its checksum');
    }
    const envelopeOffset = head.length + length;
    const envelopeHeader = new Uint8Array(ENVELOPE_HEADER_LENGTH);
    await handle.read(envelopeHeader, 0, ENVELOPE_HEADER_LENGTH, envelopeOffset);
    try {
      const header = decodeEnvelopeHeader(envelopeHeader);
      if (header.kind !== 'backup') throw damagedHead(`its envelope is of kind ${header.kind}`);
    } catch (error) {
      if (error instanceof EnvelopeError) throw damagedHead(`its envelope header is invalid: ${error.code}`);
      throw error;
    }
    return { preamble: preamble.data, envelopeOffset, envelopeHeader, bytes: size };
  } finally {
    await handle.close();
  }
}

export function sameKeyring(a: Keyring, b: Keyring): boolean {
  return JSON.stringify(KeyringSchema.parse(a)) === JSON.stringify(KeyringSchema.parse(b));
}
