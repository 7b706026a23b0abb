import path from 'node:path';
import { z } from 'zod';
import type { StoredNetworkState } from '../../shared/ipc/network-contract';
import { LEDGER_ALARM_KIND, LEDGER_RECEIPT_KIND } from '../../shared/journal/journal-kinds';
import type { LedgerAlarmMeta, LedgerReceiptMeta } from '../../shared/journal/ledger-meta';
import { EntryHasher, ledgerDomain } from '../../shared/ledger/ledger-schema';
import { checkNotarized, NOTARY_ROUTES, NotaryResultsSchema, MAX_SUBMISSION_ENTRIES, ConsistencyProofAnswerSchema } from '../../shared/network/notary';
import { fromBase64 } from '../../shared/transparency/bytes';
import { openCheckpoint, verifyConsistencyBetween } from '../../shared/transparency/log-verifier';
import { parseCheckpoint } from '../../shared/transparency/checkpoint';
import { parseNote, parseVkey } from '../../shared/transparency/note';
import type { Logger } from '../logging/logger';
import { readTextIfExists, writeFileAtomic } from '../storage/durable-files';
import type { OpenVault } from '../vault/vault-host';
import { requestJson, requestText } from './network-http';
import { NetworkRefusal } from './server-url';

/** What the node knows of its ledger's notarization (Settings › Network shows it). */
export const SyncStateSchema = z.strictObject({
  /** Every entry up to this seq has a checked receipt in the journal. */
  notarizedSeq: z.number().int().min(0),
  /** Every entry up to this seq was accepted by the notary (answered notarized or queued for its log). */
  submittedSeq: z.number().int().min(0).default(0),
  /** The last checkpoint the node verified (C2SP note text) and its tree size, or null. */
  checkpoint: z.string().max(64 * 1024).nullable(),
  checkpointSize: z.number().int().min(0),
  lastSyncAt: z.iso.datetime().nullable(),
  /** Why the last round stopped (an entry refused, the server unreachable), or an alarm; null after a good round. */
  problem: z.string().nullable(),
  /** Set when the notary showed two checkpoints that do not extend one another: both notes, kept as evidence. */
  split: z.strictObject({ older: z.string(), newer: z.string(), detail: z.string() }).nullable(),
  /** Every leaf below this size is witnessed (a kept checkpoint of it had the quorum; witness-round.ts). Never goes down. */
  witnessedSize: z.number().int().min(0).default(0),
  /** Endorsed witness cosignatures on the newest kept checkpoint. */
  cosignatures: z.number().int().min(0).default(0),
  /** Why this node's witnessing stopped, or null. */
  witnessProblem: z.string().nullable().default(null),
});
export type SyncState = z.infer<typeof SyncStateSchema>;

/**
 * The notary's refusal of an entry as a fork, for IT (Settings › Network): the chain of this vault
 * left the one the network holds, which a restore of an older backup does when the earlier copy had
 * signed past the backup (its RESTORE entry says so; tester T2 S35 F3). Submission stays stopped there.
 */
function forkAlarm(seq: number): string {
  return (
    `Alarm: the network already holds a different entry ${seq} signed by this node (a fork; the notary keeps both as evidence). ` +
    `This vault's ledger went back to an earlier point, as a restore of an older backup does when the earlier copy had signed entry ${seq} already; its “Backup restored” ledger entry says from which entry. ` +
    `Entries from ${seq} on are not notarized: keep the ledger exports of both copies and tell the network's operator.`
  );
}

/** A checkpoint is a few lines and its cosignatures: more than this is not one. */
const MAX_CHECKPOINT_BYTES = 64 * 1024;

const EMPTY: SyncState = { notarizedSeq: 0, submittedSeq: 0, checkpoint: null, checkpointSize: 0, lastSyncAt: null, problem: null, split: null, witnessedSize: 0, cosignatures: 0, witnessProblem: null };

/**
 * Ledger sync (design §5 and §10, issue 10 item 7), the body's half: submits the signed entries of
 * the outbox (ledger-outbox.ts: the clear copies, so this runs while the vault is locked) to the
 * network's notary in batches, checks every answer — the checkpoint signed by the log key pinned
 * through the network map, its consistency with the last checkpoint the node kept, each receipt's
 * signature and inclusion proof (shared/network/notary.ts checkNotarized) — and journals each
 * receipt (kind `ledger.receipt`, sealed to the vault, note {ledgerSeq, leafIndex}) so the views
 * rebuild from the journal. A refusal stops the round at that entry and says why; a notary that
 * shows two inconsistent checkpoints raises an alarm and both notes are kept as evidence. Progress
 * lives in `<data>/network/sync.json` (derived: resubmitting is idempotent at the notary).
 */
export class LedgerSync {
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(dataDir, 'network', 'sync.json');
  }

  async read(): Promise<SyncState> {
    const text = await readTextIfExists(this.file);
    if (text === null) return EMPTY;
    const parsed = SyncStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : EMPTY;
  }

  /** Keeps what a witness round found (witness-round.ts); the witnessed size never goes down. */
  async saveWitness(outcome: { readonly witnessedSize: number; readonly cosignatures: number; readonly problem: string | null }): Promise<SyncState> {
    const state = await this.read();
    return this.save({ ...state, witnessedSize: Math.max(state.witnessedSize, outcome.witnessedSize), cosignatures: outcome.cosignatures, witnessProblem: outcome.problem });
  }

  /** One round: submit what the outbox holds beyond the notarized seq (up to a batch), check and journal the receipts. */
  async round(network: StoredNetworkState, open: OpenVault): Promise<SyncState> {
    const before = await this.read();
    const after = await this.roundOnce(network, open, before);
    if (before.split === null && after.split !== null) await this.journalAlarm(open, after.split);
    return after;
  }

  /** The evidence of a split view into the journal: the mind signs a NOTARY_ALARM ledger entry for it. */
  private async journalAlarm(open: OpenVault, split: NonNullable<SyncState['split']>): Promise<void> {
    const meta: LedgerAlarmMeta = { v: 1, older: split.older, newer: split.newer, detail: split.detail.slice(0, 500) };
    const sealed = await open.sealer.seal('journalMetadata', new TextEncoder().encode(JSON.stringify(meta)));
    const { seq } = await open.storage.journal.append({ kind: LEDGER_ALARM_KIND, operator: null, objects: [], meta: Buffer.from(sealed).toString('base64url') });
    open.onDurable(seq);
  }

  private async roundOnce(network: StoredNetworkState, open: OpenVault, stored: SyncState): Promise<SyncState> {
    let state = stored;
    const logKey = network.map?.logKey ?? '';
    // A split view stops submission until IT has looked at the evidence (network/sync.json).
    if (network.status !== 'approved' || logKey === '' || state.split !== null) return state;
    try {
      // A vault put back from an older copy holds fewer entries than were notarized: submit again
      // from its last one (idempotent at the notary), so recovered entries get their receipts journaled.
      const outboxLast = await open.outbox.lastSeq();
      if (state.notarizedSeq > outboxLast) state = { ...state, notarizedSeq: outboxLast };
      if (state.submittedSeq > outboxLast) state = { ...state, submittedSeq: outboxLast };
      const batch = await open.outbox.read(state.notarizedSeq, MAX_SUBMISSION_ENTRIES);
      if (batch.length === 0) {
        state = await this.followCheckpoint(network, state, logKey);
        return await this.save({ ...state, lastSyncAt: new Date().toISOString(), problem: state.split === null ? null : state.problem });
      }
      const answer = await requestJson(`${network.url}${NOTARY_ROUTES.entries}`, { method: 'POST', body: { entries: batch } });
      const parsed = NotaryResultsSchema.safeParse(answer.body);
      if (!parsed.success || parsed.data.results.length !== batch.length) throw new NetworkRefusal('E_UNAVAILABLE', 'The notary answered in a form this node does not understand.');
      const { checkpoint, results } = parsed.data;
      let root: Uint8Array | null = null;
      if (checkpoint !== null) {
        state = await this.acceptCheckpoint(network, state, logKey, checkpoint);
        // Not kept (a bad signature, a split view): nothing of this answer is trusted.
        if (state.checkpoint !== checkpoint) return await this.save({ ...state, lastSyncAt: new Date().toISOString() });
        root = openCheckpoint(checkpoint, { logKey }).checkpoint.rootHash;
      }
      const hasher = new EntryHasher(ledgerDomain());
      const logPublicKey = parseVkey(logKey).publicKey;
      let problem: string | null = null;
      // Accepted by the notary, waiting for its log: "submitted" (the next round fetches the receipts).
      const accepted = results.findIndex((result) => result.status === 'refused');
      const acceptedUpTo = batch[(accepted === -1 ? results.length : accepted) - 1]?.entry.seq;
      if (acceptedUpTo !== undefined && acceptedUpTo > state.submittedSeq) state = { ...state, submittedSeq: acceptedUpTo };
      for (const [index, result] of results.entries()) {
        const signed = batch[index]!;
        if (result.status === 'queued') break;
        if (result.status === 'refused') {
          problem = result.code === 'fork' ? forkAlarm(signed.entry.seq) : `The notary refused ledger entry ${signed.entry.seq} (${result.code}): ${result.message.slice(0, 200)}`;
          break;
        }
        if (root === null || result.treeSize !== state.checkpointSize) {
          problem = `The notary's receipt for entry ${signed.entry.seq} names a tree the checkpoint does not.`;
          break;
        }
        const check = checkNotarized(result, signed, hasher.hash(signed.entry), logPublicKey, root);
        if (!check.ok) {
          problem = `Alarm: the notary's receipt for ledger entry ${signed.entry.seq} does not check: ${check.problem}`;
          break;
        }
        const meta: LedgerReceiptMeta = { v: 1, seq: signed.entry.seq, receipt: { ...result.receipt }, treeSize: result.treeSize, inclusion: [...result.inclusion], checkpoint: checkpoint! };
        const sealed = await open.sealer.seal('journalMetadata', new TextEncoder().encode(JSON.stringify(meta)));
        const { seq } = await open.storage.journal.append({
          kind: LEDGER_RECEIPT_KIND,
          operator: null,
          objects: [],
          meta: Buffer.from(sealed).toString('base64url'),
          note: { ledgerSeq: signed.entry.seq, leafIndex: result.receipt.leafIndex },
        });
        open.onDurable(seq);
        state = { ...state, notarizedSeq: signed.entry.seq };
      }
      if (problem !== null) this.log.warn({ notarizedSeq: state.notarizedSeq }, 'ledger sync stopped at an entry');
      return await this.save({ ...state, lastSyncAt: new Date().toISOString(), problem });
    } catch (error) {
      if (!(error instanceof NetworkRefusal)) throw error;
      return await this.save({ ...state, problem: error.message });
    }
  }

  /** With nothing to submit: fetch the newest checkpoint and check that it extends the one kept. */
  private async followCheckpoint(network: StoredNetworkState, state: SyncState, logKey: string): Promise<SyncState> {
    let text: string;
    try {
      text = await requestText(`${network.url}${NOTARY_ROUTES.checkpoint}`, MAX_CHECKPOINT_BYTES);
    } catch (error) {
      if (error instanceof NetworkRefusal) return state;
      throw error;
    }
    return this.acceptCheckpoint(network, state, logKey, text);
  }

  /**
   * A checkpoint must be signed by the log key and extend the one kept (a consistency proof from
   * the notary, checked here); then it is kept. Otherwise: a split view, an alarm, evidence kept.
   */
  private async acceptCheckpoint(network: StoredNetworkState, state: SyncState, logKey: string, note: string): Promise<SyncState> {
    let opened;
    try {
      opened = openCheckpoint(note, { logKey });
    } catch {
      return { ...state, problem: 'Alarm: the notary sent a checkpoint that is not signed by the log key of the network map.' };
    }
    const size = opened.checkpoint.size;
    if (state.checkpoint === null || size === state.checkpointSize) {
      if (state.checkpoint !== null) {
        const verdict = verifyConsistencyBetween(parseCheckpoint(parseNote(state.checkpoint).text), opened.checkpoint, []);
        if (!verdict.ok) return this.split(state, state.checkpoint, note, verdict.detail);
      }
      return { ...state, checkpoint: note, checkpointSize: size };
    }
    if (size < state.checkpointSize) return this.split(state, state.checkpoint, note, `The notary showed a tree of ${size} leaves after one of ${state.checkpointSize}.`);
    const answer = await requestJson(`${network.url}${NOTARY_ROUTES.consistency}?from=${state.checkpointSize}&to=${size}`);
    const proof = ConsistencyProofAnswerSchema.safeParse(answer.body);
    if (!proof.success) throw new NetworkRefusal('E_UNAVAILABLE', 'The notary answered the consistency proof in a form this node does not understand.');
    const older = parseCheckpoint(parseNote(state.checkpoint).text);
    const verdict = verifyConsistencyBetween(older, opened.checkpoint, proof.data.proof.map((hash) => fromBase64(hash) ?? new Uint8Array(0)));
    if (!verdict.ok) return this.split(state, state.checkpoint, note, verdict.detail);
    return { ...state, checkpoint: note, checkpointSize: size };
  }

  private split(state: SyncState, older: string, newer: string, detail: string): SyncState {
    this.log.error({ checkpointSize: state.checkpointSize }, 'the notary showed inconsistent checkpoints');
    return { ...state, split: { older, newer, detail }, problem: `Alarm: the notary showed two checkpoints that do not extend one another (${detail}). Both are kept as evidence; submission is stopped.` };
  }

  private async save(state: SyncState): Promise<SyncState> {
    await writeFileAtomic(this.file, `${JSON.stringify(state, null, 2)}\n`);
    return state;
  }
}
