import { BACKUP_KINDS } from '../../shared/journal/journal-kinds';
import type { OpenVault } from '../vault/vault-host';

/**
 * The one place the body journals a backup act (a scheduled backup made, a backup restored): a
 * record of a body kind, no operator (the body did it), its counts as a plaintext note and, for
 * the mind, the same counts with the act and time as a sealed meta (JSON `{v: 1, act, at, …counts}`
 * sealed to the vault's public key like intake metadata). The journal is the vault's truth and goes
 * into the next backup; the ledger signs from there. Manual exports are the mind's `export.backup`;
 * a failed backup (by hand or scheduled) is the body's `backup.failed`, one by hand with the
 * session's `operatorId` in its sealed meta (the record's clear operator stays null).
 */
export async function journalBackupAct(
  open: Pick<OpenVault, 'storage' | 'onDurable' | 'sealer'>,
  act: keyof typeof BACKUP_KINDS,
  counts: Readonly<Record<string, number>>,
  at = new Date(),
  /** Words that go into the sealed meta only (the note holds numbers): a restored backup's date. */
  words: Readonly<Record<string, string>> = {},
): Promise<number> {
  const meta = await open.sealer.seal('journalMetadata', new TextEncoder().encode(JSON.stringify({ v: 1, act, at: at.toISOString(), ...counts, ...words })));
  const { seq } = await open.storage.journal.append({
    kind: BACKUP_KINDS[act],
    operator: null,
    objects: [],
    meta: Buffer.from(meta).toString('base64url'),
    note: counts,
  });
  open.onDurable(seq);
  return seq;
}

/**
 * Whether a failed backup gets a `backup.failed` record (tester T2 F10), given the failure the status
 * holds from before (null after a backup was made). Every attempt by hand is an operator's act and is
 * journaled; a schedule retrying against the same problem (every 15 minutes, for days if a share
 * stays offline) is journaled when the failure starts and when its reason changes, not at every
 * retry. The backup that is made afterwards is its own record (backup.scheduled, export.backup).
 */
export function failureWorthJournaling(previous: { readonly reason: string } | null, reason: string, scheduled: boolean): boolean {
  return !scheduled || previous === null || previous.reason !== reason;
}
