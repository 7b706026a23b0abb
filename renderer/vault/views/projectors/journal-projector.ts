import type { Table } from 'dexie';
import type { JournalRecord } from '../../../../shared/ipc/journal-contract';
import type { RowKeys } from '../intake-rows';
import type { PatientFiling } from '../patient-filing';
import type { TokenCache } from '../token-cache';
import type { VaultDb } from '../vault-db';

/**
 * A view projector: the journal kinds it reads and the view tables it owns (writes or clears).
 * The replay (journal-replay.ts) reads a page of records, opens each record's sealed meta and hands
 * it to the projector of its kind; then it writes every projector's part of the page, and the new
 * cursor, in one read-write transaction over all the projectors' tables. A new kind of record
 * (DICOM studies, device readings) is a new projector file in projector-registry.ts, not a
 * branch in the replay.
 *
 * Per write page the replay asks each projector for a fresh ProjectorPage. decode() may run the
 * page's asynchronous crypto (tokens, field encryption) and must not touch the page's state: it
 * answers a step, and the replay applies the steps in journal order (so an erasure removes rows
 * of the same page that came before it, not after).
 */
export interface JournalProjector {
  readonly name: string;
  /** The journal kinds it projects (one projector per kind). */
  readonly kinds: readonly string[];
  /** The view tables it writes or clears: the replay's write transaction spans them. */
  tables(db: VaultDb): readonly Table[];
  startPage(context: ProjectorContext): ProjectorPage;
}

export interface ProjectorContext {
  /** With the node's message key pair where the session holds it (relay messages are opened with it). */
  readonly keys: RowKeys & { readonly messageKeyPair?: { readonly privateKey: CryptoKey } };
  readonly tokens: TokenCache;
  /**
   * The replay's chart filing (patient-filing.ts): which chart a message naming a patient is filed
   * on. Every projector that files rows under a patient asks it, once the meta fits its schema.
   * Absent (projectors driven without a replay): the chart of the message's first identifier.
   */
  readonly filing?: PatientFiling;
}

export interface ProjectorPage {
  /** One record of the page with its opened meta: what it adds to the page, or why it adds nothing. */
  decode(record: JournalRecord, meta: unknown): Promise<ProjectorStep>;
  /**
   * Optional: runs once the page's steps are applied and before its write transaction, for work
   * that needs what the views already hold and crypto (the patient projector merges demographics
   * into the stored patient row and re-encrypts it). It may read the views; it must not write them.
   */
  prepare?(db: VaultDb): Promise<void>;
  /** Writes the page's rows; runs inside the replay's write transaction (no other async work). */
  write(db: VaultDb, chunk: number): Promise<void>;
}

/**
 * `apply` adds the record to the page (called in journal order); `skip`: nothing to show (moves
 * the cursor past it); `problem`: the meta does not fit its schema (counted in meta `problems`).
 */
export type ProjectorStep = { readonly apply: () => void } | 'skip' | 'problem';
