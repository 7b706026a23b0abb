import { stat } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import type { Keyring } from '../../shared/ipc';
import { pathExists } from '../storage/durable-files';
import { Journal } from '../storage/journal';
import { vaultLayout } from '../storage/vault-layout';
import { checkKeyringInvariants } from './keyring-policy';
import { KeyringStore } from './keyring-store';
import { KEYRING_CHANGED_KIND } from './vault-feature';

/** One keyring as `vault:keyring` lists it: who and which slot kinds, never key material. */
export interface KeyringSummary {
  readonly revision: number;
  /**
   * When its file was written: for the current keyring, when it became current; for a kept one,
   * when it was replaced.
   */
  readonly date: string;
  readonly operators: ReadonlyArray<{ readonly operatorId: string; readonly name: string; readonly role: string; readonly disabled: boolean }>;
  readonly slots: ReadonlyArray<{ readonly kind: string; readonly operatorId: string }>;
  /** Why the body would refuse it (schema, operator ids, or no admin / no recovery slot); null when it is usable. */
  readonly problem: string | null;
}

/** What `vault:keyring` prints without --restore. */
export interface KeyringListing {
  readonly current: KeyringSummary | null;
  /** The kept revisions, newest first. */
  readonly kept: readonly KeyringSummary[];
  readonly errors: readonly string[];
}

/** What `vault:keyring --restore REV` prints. */
export interface KeyringRestoreReport {
  readonly restored: number | null;
  /** The revision that was current before (kept in vault/keyrings/), null when keys.json was missing or unreadable. */
  readonly replaced: number | null;
  /** The `vault.keyringChanged` record's seq, or null when the folder has no journal. */
  readonly journalSeq: number | null;
  readonly errors: readonly string[];
}

function summarize(keyring: Keyring, date: string, problem: string | null): KeyringSummary {
  return {
    revision: keyring.revision,
    date,
    operators: keyring.operators.map(({ operatorId, name, role, disabled }) => ({ operatorId, name, role, disabled })),
    slots: keyring.slots.map(({ kind, operatorId }) => ({ kind, operatorId })),
    problem,
  };
}

/** The body's refusal, as a problem; null when the keyring passes the invariants. */
function invariantProblem(keyring: Keyring): string | null {
  try {
    checkKeyringInvariants(keyring);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

async function mtimeOf(file: string): Promise<string> {
  return (await stat(file)).mtime.toISOString();
}

/** Lists the current and kept keyrings of the vault in `dataDir`, read-only. */
export async function listKeyrings(dataDir: string): Promise<KeyringListing> {
  const store = new KeyringStore(dataDir);
  const errors: string[] = [];
  if (!(await pathExists(vaultLayout(dataDir).vaultDir))) return { current: null, kept: [], errors: [`no vault in ${dataDir}`] };
  let current: KeyringSummary | null = null;
  let vault: Pick<Keyring, 'vaultId' | 'intakePublicKey'> | null = null;
  try {
    const keyring = await store.read();
    if (keyring === null) errors.push('vault/keys.json is missing: the vault cannot be unlocked');
    else {
      vault = keyring;
      current = summarize(keyring, await mtimeOf(store.file), invariantProblem(keyring));
      if (current.problem !== null) errors.push(`vault/keys.json: ${current.problem}`);
    }
  } catch (error) {
    errors.push((error as Error).message);
  }
  const kept: KeyringSummary[] = [];
  for (const revision of await store.history()) {
    const file = path.join(store.historyDir, `keys.r${revision}.json`);
    try {
      const keyring = await store.readKept(revision);
      if (keyring === null) continue; // pruned meanwhile
      const problem =
        keyring.revision !== revision
          ? `it holds revision ${keyring.revision}`
          : vault !== null && (keyring.vaultId !== vault.vaultId || keyring.intakePublicKey !== vault.intakePublicKey)
            ? 'it belongs to another vault (its vault id or intake key differ from vault/keys.json)'
            : invariantProblem(keyring);
      kept.push(summarize(keyring, await mtimeOf(file), problem));
    } catch (error) {
      // Listed with what is known, so IT sees that the file exists and why it cannot be restored.
      kept.push({ revision, date: await mtimeOf(file).catch(() => ''), operators: [], slots: [], problem: (error as Error).message });
    }
  }
  return { current, kept, errors };
}

/**
 * Makes kept revision `revision` current again, with the app stopped: the kept file must pass the
 * keyring schema and the body's invariants (an enabled administrator with a passphrase, the
 * recovery slot, every slot's owner an operator). The current keyring is kept in the history
 * first, and a `vault.keyringChanged` record is journaled when the vault has a journal.
 */
export async function restoreKeyring(dataDir: string, revision: number): Promise<KeyringRestoreReport> {
  const store = new KeyringStore(dataDir);
  const layout = vaultLayout(dataDir);
  if (!(await pathExists(layout.vaultDir))) return { restored: null, replaced: null, journalSeq: null, errors: [`no vault in ${dataDir}`] };
  let replaced: number | null;
  try {
    const { previous } = await store.restore(revision, checkKeyringInvariants);
    replaced = previous?.revision ?? null;
  } catch (error) {
    return { restored: null, replaced: null, journalSeq: null, errors: [`revision ${revision} was not restored: ${(error as Error).message}`] };
  }
  let journalSeq: number | null = null;
  if (await pathExists(layout.journalFile)) {
    try {
      // The journal's own checks and torn-tail repair apply, as when the body opens it at start.
      const journal = await Journal.open(layout.journalDir, pino({ level: 'silent' }));
      try {
        ({ seq: journalSeq } = await journal.append({ kind: KEYRING_CHANGED_KIND, operator: null, objects: [], meta: null, note: { restored: revision, ...(replaced === null ? {} : { replaced }) } }));
      } finally {
        await journal.close();
      }
    } catch (error) {
      return { restored: revision, replaced, journalSeq: null, errors: [`revision ${revision} is current again, but the journal record could not be written: ${(error as Error).message}`] };
    }
  }
  return { restored: revision, replaced, journalSeq, errors: [] };
}

export type KeyringCommand = { dataDir: string; restore: number | null } | { help: true } | { error: string };

/** `--data-dir DIR [--restore REV]`. */
export function parseKeyringArgs(argv: readonly string[]): KeyringCommand {
  let dataDir: string | undefined;
  let restore: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (arg === '--help' || arg === '-h') return { help: true };
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name !== '--data-dir' && name !== '--restore') return { error: `unknown argument ${JSON.stringify(arg)}` };
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') return { error: `${name} needs a value` };
    if (name === '--data-dir') dataDir = value;
    else {
      if (!/^[1-9]\d{0,14}$/.test(value)) return { error: '--restore needs a revision number (see the listing)' };
      restore = Number(value);
    }
  }
  return dataDir === undefined ? { error: '--data-dir is required' } : { dataDir, restore };
}
