import type { ViewRecord } from '../vault-service';
import type { MessagePayload } from './intake-rows';
import type { RecordRowStored } from './vault-db';

interface Opened {
  readonly enc: Uint8Array;
  readonly payload: MessagePayload;
  readonly records: readonly ViewRecord[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Message rows this unlocked session has already decrypted and checked, so opening a patient again
 * (back from a record, the list or a lock of the page) does not decrypt and re-validate thousands
 * of records: that was most of the patient page's time with 5,000 results. A row is served only
 * while its stored ciphertext is byte for byte the one opened (same key and bytes, same
 * plaintext); a row written again since (a merge, a correction) is opened afresh. Memory only,
 * bounded by records; cleared at lock and after an erasure (no erased record outlives it here).
 */
export class OpenedRows {
  private readonly rows = new Map<string, Opened>();
  private held = 0;

  constructor(private readonly maxRecords = 50_000) {}

  get(row: Pick<RecordRowStored, 'id' | 'enc'>): Opened | undefined {
    const opened = this.rows.get(row.id);
    if (opened === undefined) return undefined;
    if (!sameBytes(opened.enc, row.enc)) {
      this.forget(row.id);
      return undefined;
    }
    // Most recently used last: the oldest go first when the bound is reached.
    this.rows.delete(row.id);
    this.rows.set(row.id, opened);
    return opened;
  }

  set(row: Pick<RecordRowStored, 'id' | 'enc'>, payload: MessagePayload, records: readonly ViewRecord[]): void {
    this.forget(row.id);
    // A copy: the row's bytes belong to whoever read them.
    this.rows.set(row.id, { enc: row.enc.slice(), payload, records });
    this.held += records.length;
    for (const [id] of this.rows) {
      if (this.held <= this.maxRecords || this.rows.size <= 1) break;
      this.forget(id);
    }
  }

  clear(): void {
    this.rows.clear();
    this.held = 0;
  }

  get size(): number {
    return this.rows.size;
  }

  private forget(id: string): void {
    const opened = this.rows.get(id);
    if (opened === undefined) return;
    this.rows.delete(id);
    this.held -= opened.records.length;
  }
}
