import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { exportLine } from '../../shared/ledger/ledger-export-format';
import { describeSchemaIssue, LedgerEntrySchema, SignatureSchema, type LedgerEntry } from '../../shared/ledger/ledger-schema';
import { SerialQueue } from '../async/serial-queue';
import { syncDir } from '../storage/durable-files';
import { LedgerRefusal } from './ledger-appender';

/** One signed entry as the outbox holds it (the strict schema's types). */
export interface OutboxEntry {
  readonly entry: LedgerEntry;
  readonly signature: string;
}

/**
 * `<data>/vault/ledger/signed.jsonl`: the node's signed ledger entries in the clear, one export
 * line per entry in seq order, for the body to submit to the network's notary (issue 10 item 7).
 * The journal holds each entry sealed (only the mind can open it); entries are hashes and
 * pseudonyms by design (they go to a log anyone can audit), so this copy holds no PHI.
 *
 * Derived, like the views: the mind fills it as it signs (ledger.append carries the entry) and
 * backfills what is missing (entries signed before this file existed, or one a crash lost between
 * the journal's fsync and this file's) with ledger.publish. The body checks the strict schema,
 * seq order and one node; the chain and the signatures are checked by the mind at unlock and by
 * the notary, which hold the EIP-712 domain. A torn last line (a crash mid-write) is cut at open.
 */
export class LedgerOutbox {
  readonly file: string;
  private readonly queue = new SerialQueue();
  /** Byte offset of each entry's line (index seq − 1), and the node they are all by. */
  private offsets: number[] | null = null;
  private size = 0;
  private node: string | null = null;

  constructor(vaultDir: string) {
    this.file = path.join(vaultDir, 'ledger', 'signed.jsonl');
  }

  /** The highest seq held (0 when empty). */
  lastSeq(): Promise<number> {
    return this.queue.run(async () => (await this.load()).length);
  }

  /** Appends entries that continue the outbox exactly (seq = last + 1, …); refuses anything else. */
  append(values: readonly unknown[]): Promise<{ lastSeq: number }> {
    return this.queue.run(async () => {
      const offsets = await this.load();
      const checked: OutboxEntry[] = [];
      for (const [index, value] of values.entries()) checked.push(this.check(value, offsets.length + index + 1, this.node ?? checked[0]?.entry.node ?? null));
      if (checked.length === 0) return { lastSeq: offsets.length };
      const text = checked.map((signed) => `${exportLine(signed)}\n`).join('');
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const created = this.size === 0;
      const handle = await open(this.file, 'a', 0o600);
      try {
        await handle.write(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (created) await syncDir(path.dirname(this.file));
      let at = this.size;
      for (const signed of checked) {
        offsets.push(at);
        at += Buffer.byteLength(`${exportLine(signed)}\n`);
      }
      this.size = at;
      this.node ??= checked[0]!.entry.node;
      return { lastSeq: offsets.length };
    });
  }

  /** Up to `limit` entries after `afterSeq`, in order. */
  read(afterSeq: number, limit: number): Promise<OutboxEntry[]> {
    return this.queue.run(async () => {
      const offsets = await this.load();
      if (afterSeq >= offsets.length) return [];
      const from = offsets[afterSeq]!;
      const toSeq = Math.min(offsets.length, afterSeq + limit);
      const to = toSeq < offsets.length ? offsets[toSeq]! : this.size;
      const handle = await open(this.file, 'r');
      try {
        const buffer = Buffer.alloc(to - from);
        await handle.read(buffer, 0, buffer.length, from);
        return buffer
          .toString('utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as OutboxEntry);
      } finally {
        await handle.close();
      }
    });
  }

  /** The strict schema, the next seq, the same node as the entries before it. */
  check(value: unknown, expectedSeq: number, node: string | null): OutboxEntry {
    const { entry: rawEntry, signature: rawSignature } = (value ?? {}) as { entry?: unknown; signature?: unknown };
    const entry = LedgerEntrySchema.safeParse(rawEntry);
    if (!entry.success) throw new LedgerRefusal('E_BAD_REQUEST', `entries: entry ${expectedSeq} ${describeSchemaIssue(entry.error)}.`);
    const signature = SignatureSchema.safeParse(rawSignature);
    if (!signature.success) throw new LedgerRefusal('E_BAD_REQUEST', `entries: the signature of entry ${expectedSeq} ${describeSchemaIssue(signature.error)}.`);
    if (entry.data.seq !== expectedSeq) throw new LedgerRefusal('E_CONFLICT', `The outbox holds entries up to ${expectedSeq - 1}; entry ${entry.data.seq} does not follow.`);
    if (node !== null && entry.data.node !== node) throw new LedgerRefusal('E_CONFLICT', `Entry ${expectedSeq} names another node than the entries before it.`);
    return { entry: entry.data, signature: signature.data };
  }

  /** Reads the line offsets once; cuts a torn last line left by a crash. */
  private async load(): Promise<number[]> {
    if (this.offsets !== null) return this.offsets;
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      bytes = Buffer.alloc(0);
    }
    const offsets: number[] = [];
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(0x0a, start);
      if (end === -1) break;
      if (offsets.length === 0) this.node = (JSON.parse(bytes.subarray(start, end).toString('utf8')) as OutboxEntry).entry.node;
      offsets.push(start);
      start = end + 1;
    }
    if (start < bytes.length) await truncate(this.file, start);
    this.offsets = offsets;
    this.size = start;
    return offsets;
  }
}
