import { LEDGER_ENTRY_JOURNAL_KIND } from '../../shared/ipc/ledger-contract';
import { SerialQueue } from '../async/serial-queue';
import { Refusal } from '../errors/refusal';
import type { Journal } from '../storage/journal';
import type { LedgerOutbox } from './ledger-outbox';

/** A refusal of ledger work (the router turns it into a wire error). */
export class LedgerRefusal extends Refusal {}

/**
 * The body's half of the signed ledger: appends sealed entries as `ledger.entry` journal records,
 * compare-and-append on the per-node sequence. The body cannot read an entry (it is sealed to the
 * vault key), so each record carries its ledger seq as a plaintext note (`{"ledgerSeq":N}`, a
 * number, no PHI), and an append is refused unless the journal holds exactly N − 1 entries. Two
 * windows of one vault (Electron and a shell tab, or two tabs) therefore cannot both sign an entry
 * N: the second gets E_CONFLICT, replays, and sees the first's entry.
 *
 * The count is found lazily, by one scan of the journal's plaintext envelopes at the first append
 * after the vault opens (and again after an erasure or a restore), then kept up to date.
 */
export class LedgerAppender {
  private last: number | null = null;
  private readonly queue = new SerialQueue();

  constructor(
    private readonly journal: Pick<Journal, 'read' | 'append'>,
    /** The clear copies for the notary (ledger-outbox.ts); absent in tests of the count alone. */
    private readonly outbox?: LedgerOutbox,
    private readonly onOutboxProblem: (error: unknown) => void = () => undefined,
  ) {}

  /** Forget the count (the journal was rewritten or replaced); the next append scans again. */
  reset(): void {
    this.last = null;
  }

  append(input: { readonly ledgerSeq: number; readonly meta: string; readonly signed?: unknown }): Promise<{ seq: number }> {
    return this.queue.run(async () => {
      // The clear copy is checked before anything is written: its schema, and that it is this entry.
      const signed = input.signed === undefined || this.outbox === undefined ? null : this.outbox.check(input.signed, input.ledgerSeq, null);
      this.last ??= await this.scan();
      if (input.ledgerSeq !== this.last + 1) {
        throw new LedgerRefusal(
          'E_CONFLICT',
          input.ledgerSeq <= this.last
            ? `Ledger entry ${input.ledgerSeq} exists already (the ledger holds ${this.last}); replay the journal and sign the next one.`
            : `Ledger entry ${input.ledgerSeq} cannot follow entry ${this.last}: entries are appended in order.`,
        );
      }
      const { seq } = await this.journal.append({ kind: LEDGER_ENTRY_JOURNAL_KIND, operator: null, objects: [], meta: input.meta, note: { ledgerSeq: input.ledgerSeq } });
      this.last = input.ledgerSeq;
      // The journal is the truth and holds the entry now; the outbox is derived. If it lacks earlier
      // entries (ledger.publish fills them) or refuses this one, the append still succeeded.
      if (signed !== null && this.outbox !== undefined) {
        try {
          if ((await this.outbox.lastSeq()) === input.ledgerSeq - 1) await this.outbox.append([signed]);
        } catch (error) {
          this.onOutboxProblem(error);
        }
      }
      return { seq };
    });
  }

  /** Backfills the outbox, never beyond the entries the journal holds. */
  publish(entries: readonly unknown[]): Promise<{ lastSeq: number }> {
    return this.queue.run(async () => {
      if (this.outbox === undefined) throw new LedgerRefusal('E_UNAVAILABLE', 'This node keeps no ledger outbox.');
      this.last ??= await this.scan();
      const from = await this.outbox.lastSeq();
      if (from + entries.length > this.last) {
        throw new LedgerRefusal('E_CONFLICT', `The journal holds ledger entries up to ${this.last}; the outbox holds ${from}, so at most ${this.last - from} may be published.`);
      }
      return this.outbox.append(entries);
    });
  }

  /** The outbox's last seq and the journal's. */
  status(): Promise<{ outboxLastSeq: number; journalLastSeq: number }> {
    return this.queue.run(async () => {
      this.last ??= await this.scan();
      return { outboxLastSeq: (await this.outbox?.lastSeq()) ?? 0, journalLastSeq: this.last };
    });
  }

  /** The highest ledger seq in the journal (0 when none). */
  private async scan(): Promise<number> {
    let after = 0;
    let last = 0;
    for (;;) {
      const page = await this.journal.read({ after, limit: 10_000 });
      for (const record of page.records) {
        if (record.kind !== LEDGER_ENTRY_JOURNAL_KIND) continue;
        const seq = record.note?.['ledgerSeq'];
        if (typeof seq === 'number' && seq > last) last = seq;
      }
      if (page.records.length === 0 || page.end) return last;
      after = page.nextCursor;
    }
  }
}
