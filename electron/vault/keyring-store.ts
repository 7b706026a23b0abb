import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { KeyringSchema, type Keyring } from '../../shared/ipc';
import { Refusal } from '../errors/refusal';
import { JOURNAL_MAGIC, OPERATOR_PATTERN } from '../storage/journal-format';
import { vaultLayout } from '../storage/vault-layout';
import { SerialQueue } from '../async/serial-queue';
import { readTextIfExists, writeFileAtomic } from '../storage/durable-files';

/** A refusal of keyring work (the router turns it into a wire error). */
export class KeyringRefusal extends Refusal {}

/**
 * `<data>/vault/keys.json`: the keyring the mind builds (wrapped master secret per key slot,
 * operators, the intake public key). The body stores it verbatim and never holds anything that
 * opens it. Every write is atomic (temp, fsync, rename, fsync of the folder; mode 0600), and
 * writes are serialized, so a create and an update cannot interleave.
 */
export class KeyringStore {
  private readonly queue = new SerialQueue();
  readonly file: string;

  constructor(private readonly dataDir: string) {
    this.file = vaultLayout(dataDir).keysFile;
  }

  /** The stored keyring, or null if the data folder holds none; E_UNAVAILABLE if it is damaged. */
  async read(): Promise<Keyring | null> {
    const text = await readTextIfExists(this.file);
    return text === null ? null : parseKeyring(text, 'vault/keys.json');
  }

  async exists(): Promise<boolean> {
    return (await readTextIfExists(this.file)) !== null;
  }

  /** `vault/keyrings/`: the keyrings replaced by updates, as `keys.r<revision>.json`. */
  get historyDir(): string {
    return path.join(path.dirname(this.file), 'keyrings');
  }

  /** The kept revisions, newest first. */
  async history(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.historyDir);
    } catch {
      return [];
    }
    return names
      .map((name) => /^keys\.r(\d+)\.json$/.exec(name)?.[1])
      .filter((revision): revision is string => revision !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
  }

  /** Kept revision `revision`, checked like a keyring being stored; null when it is not kept. */
  async readKept(revision: number): Promise<Keyring | null> {
    const name = keptName(revision);
    const text = await readTextIfExists(path.join(this.historyDir, name));
    return text === null ? null : checkKeyring(parseKeyring(text, `vault/keyrings/${name}`));
  }

  /**
   * Makes kept revision `revision` current again (IT's `vault:keyring --restore`, with the app
   * stopped). It keeps its own revision: its integrity tag covers it, and only the master secret
   * can re-tag it. The current keyring is kept first; if it cannot be read, or another keyring is
   * kept under its revision, its bytes are set aside as `keys.replaced-<time>.json` (never pruned).
   * `check` may refuse the kept keyring. E_CONFLICT when it belongs to another vault.
   */
  restore(revision: number, check: (kept: Keyring) => void): Promise<{ previous: Keyring | null; restored: Keyring }> {
    return this.queue.run(async () => {
      const kept = await this.readKept(revision);
      if (kept === null) throw new KeyringRefusal('E_BAD_REQUEST', `Revision ${revision} is not kept in vault/keyrings/.`);
      if (kept.revision !== revision) throw damaged(`vault/keyrings/${keptName(revision)} holds revision ${kept.revision}`);
      check(kept);
      const text = await readTextIfExists(this.file);
      let previous: Keyring | null = null;
      try {
        previous = text === null ? null : parseKeyring(text, 'vault/keys.json');
      } catch {
        // A damaged keys.json is what a restore repairs; its bytes are set aside below.
      }
      if (previous !== null && (previous.vaultId !== kept.vaultId || previous.intakePublicKey !== kept.intakePublicKey)) {
        throw new KeyringRefusal('E_CONFLICT', `Revision ${revision} belongs to another vault (its vault id or intake key differ from vault/keys.json).`);
      }
      if (text !== null) {
        if (previous !== null && (await this.mayKeep(previous))) await this.keepPrevious(previous);
        else await writeFileAtomic(path.join(this.historyDir, `keys.replaced-${new Date().toISOString().replace(/[:.]/g, '')}.json`), text);
      }
      await writeFileAtomic(this.file, serialize(kept));
      return { previous, restored: kept };
    });
  }

  /** Whether keeping `keyring` under its revision's name overwrites no other keyring. */
  private async mayKeep(keyring: Keyring): Promise<boolean> {
    const text = await readTextIfExists(path.join(this.historyDir, keptName(keyring.revision)));
    if (text === null) return true;
    try {
      return serialize(parseKeyring(text, keptName(keyring.revision))) === serialize(keyring);
    } catch {
      return false;
    }
  }

  private async keepPrevious(previous: Keyring): Promise<void> {
    await writeFileAtomic(path.join(this.historyDir, keptName(previous.revision)), serialize(previous));
    for (const old of (await this.history()).slice(KEPT_KEYRINGS)) await rm(path.join(this.historyDir, keptName(old)), { force: true });
  }

  /** Stores a new vault's keyring; E_CONFLICT if the folder holds a vault (or vault files) already. */
  create(keyring: Keyring): Promise<Keyring> {
    return this.queue.run(async () => {
      const checked = checkKeyring(keyring);
      if (await this.exists()) throw new KeyringRefusal('E_CONFLICT', 'A vault exists already in this data folder; unlock it, or choose another data folder.');
      if (await journalHasRecords(vaultLayout(this.dataDir).journalFile)) {
        throw new KeyringRefusal('E_CONFLICT', 'This data folder holds a vault journal without a keyring (vault/keys.json is missing). Restore the keyring or the vault from a backup, or choose another data folder.');
      }
      await writeFileAtomic(this.file, serialize(checked));
      return checked;
    });
  }

  /**
   * Replaces the keyring with its next revision. E_CONFLICT when the stored revision is not
   * `expectedRevision` (another window changed it first), when `keyring.revision` is not
   * expectedRevision + 1, or when it belongs to another vault (vaultId or intake key differ).
   */
  update(keyring: Keyring, expectedRevision: number, check: (current: Keyring, next: Keyring) => void = () => undefined): Promise<{ previous: Keyring; next: Keyring }> {
    return this.queue.run(async () => {
      const checked = checkKeyring(keyring);
      const current = await this.read();
      if (current === null) throw new KeyringRefusal('E_CONFLICT', 'No vault exists in this data folder yet; create one first.');
      if (current.revision !== expectedRevision) {
        throw new KeyringRefusal('E_CONFLICT', `The keyring changed meanwhile: it is at revision ${current.revision}, not ${expectedRevision}. Reload it and try again.`);
      }
      if (checked.revision !== expectedRevision + 1) {
        throw new KeyringRefusal('E_CONFLICT', `The new keyring must have revision ${expectedRevision + 1}, not ${checked.revision}.`);
      }
      if (checked.vaultId !== current.vaultId || checked.intakePublicKey !== current.intakePublicKey) {
        throw new KeyringRefusal('E_CONFLICT', 'The new keyring belongs to another vault (its vault id or intake key differ).');
      }
      check(current, checked);
      // The replaced keyring is kept first, so a change that locks people out can be undone by IT.
      await this.keepPrevious(current);
      await writeFileAtomic(this.file, serialize(checked));
      await this.forgetRetiredMasterSlots(checked);
      return { previous: current, next: checked };
    });
  }

  /**
   * Roles are keys: once a slot is re-made as a role slot (format 3, a researcher's or auditor's),
   * no kept keyring may still hold that slot wrapping the master, or the role's passphrase would
   * open the whole vault from `vault/keyrings/`. Such kept files are deleted (the body cannot
   * re-seal a keyring: its integrity tag needs the master); rolling back to one of them would have
   * handed the master back to that operator anyway.
   */
  private async forgetRetiredMasterSlots(current: Keyring): Promise<void> {
    const retired = new Set(current.slots.filter((slot) => slot.version === 3).map((slot) => slot.id));
    if (retired.size === 0) return;
    let names: string[];
    try {
      names = await readdir(this.historyDir);
    } catch {
      return;
    }
    for (const name of names.filter((candidate) => candidate.endsWith('.json'))) {
      const file = path.join(this.historyDir, name);
      const text = await readTextIfExists(file);
      if (text === null) continue;
      let kept: Keyring;
      try {
        kept = parseKeyring(text, `vault/keyrings/${name}`);
      } catch {
        continue;
      }
      if (kept.slots.some((slot) => retired.has(slot.id) && slot.version !== 3)) await rm(file, { force: true });
    }
  }
}

/** Previous keyrings kept in `vault/keyrings/` (the newest ones), to undo a bad change. */
export const KEPT_KEYRINGS = 20;

function damaged(why: string, file = 'vault/keys.json'): KeyringRefusal {
  return new KeyringRefusal('E_UNAVAILABLE', `The vault's keyring file (${file}) is damaged: ${why}. Restore the vault from a backup.`);
}

function keptName(revision: number): string {
  return `keys.r${revision}.json`;
}

/** How a keyring is written: the same bytes for the same keyring, so kept copies compare by text. */
function serialize(keyring: Keyring): string {
  return `${JSON.stringify(keyring, null, 1)}\n`;
}

function parseKeyring(text: string, file: string): Keyring {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw damaged('it is not JSON', file);
  }
  const parsed = KeyringSchema.safeParse(json);
  if (!parsed.success) throw damaged(`it breaks the keyring schema at ${parsed.error.issues[0]?.path.map(String).join('.') || '(root)'}`, file);
  return parsed.data;
}

/**
 * Checks what the schema cannot: every operator id is recorded in journal events, so it must be a
 * journal operator id (letters, digits, "-", "_", at most 64, the contract's record limit); operator
 * ids and slot ids are unique.
 */
function checkKeyring(keyring: Keyring): Keyring {
  const parsed = KeyringSchema.parse(keyring);
  const ids = new Set<string>();
  for (const [index, operator] of parsed.operators.entries()) {
    if (operator.operatorId.length > 64 || !OPERATOR_PATTERN.test(operator.operatorId)) {
      throw new KeyringRefusal('E_BAD_REQUEST', `keyring.operators.${index}.operatorId: journal operator ids are 1 to 64 letters, digits, "-" or "_".`);
    }
    if (ids.has(operator.operatorId)) throw new KeyringRefusal('E_BAD_REQUEST', `keyring.operators.${index}.operatorId: duplicate operator id.`);
    ids.add(operator.operatorId);
  }
  // Sessions, unlocks and audit look slots up by id: a second slot under an administrator's or the
  // recovery slot's id (a clinician's own, listed first) would make their unlock fail (security review R3).
  const slotIds = new Set<string>();
  for (const [index, slot] of parsed.slots.entries()) {
    if (slotIds.has(slot.id)) throw new KeyringRefusal('E_BAD_REQUEST', `keyring.slots.${index}.id: duplicate slot id.`);
    slotIds.add(slot.id);
  }
  return parsed;
}

async function journalHasRecords(journalFile: string): Promise<boolean> {
  try {
    return (await stat(journalFile)).size > JOURNAL_MAGIC.length;
  } catch {
    return false;
  }
}
