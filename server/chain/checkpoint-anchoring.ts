import type { CheckpointAnchorClient } from '../../shared/chain/checkpoint-anchor';
import { parseCheckpoint } from '../../shared/transparency/checkpoint';
import { toHex } from '../../shared/transparency/bytes';
import { parseNote } from '../../shared/transparency/note';
import type { ServerLogger } from '../logging';
import { readCheckpoint } from '../notary/log-store';
import type { Queryable } from '../storage/database';

/**
 * Anchors the notary log's newest checkpoint on the settlement chain every `intervalMs` (issue 15
 * item 2): the log's size and root go into contracts/CheckpointAnchor.sol from the network key's
 * account, when the log grew since the chain's latest anchor. One round at a time; a failed round
 * (the chain unreachable, out of gas) is logged and retried at the next tick, never fatal to the
 * server. The chain's own record is the state: nothing is kept here between rounds.
 */
export interface AnchoringOptions {
  readonly intervalMs: number;
}

export type AnchorRound =
  | { readonly anchored: true; readonly size: number; readonly rootHash: string; readonly block: number }
  | { readonly anchored: false; readonly reason: 'no-checkpoint' | 'up-to-date' };

export class CheckpointAnchoring {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly db: Queryable,
    private readonly anchor: CheckpointAnchorClient,
    private readonly log: ServerLogger,
    private readonly options: AnchoringOptions,
  ) {}

  /** One round: anchors the newest checkpoint if the chain's latest anchor is older. */
  async anchorNow(): Promise<AnchorRound> {
    const stored = await readCheckpoint(this.db);
    if (stored === null || stored.size === 0) return { anchored: false, reason: 'no-checkpoint' };
    const checkpoint = parseCheckpoint(parseNote(stored.note).text);
    const latest = await this.anchor.latest();
    if (latest.size >= checkpoint.size) return { anchored: false, reason: 'up-to-date' };
    const rootHash = `0x${toHex(checkpoint.rootHash)}`;
    const receipt = await this.anchor.anchor(checkpoint.size, rootHash);
    return { anchored: true, size: checkpoint.size, rootHash, block: receipt.blockNumber };
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    if (this.running !== null) return;
    this.running = this.anchorNow()
      .then((round) => {
        if (round.anchored) this.log.info({ size: round.size, block: round.block }, 'log checkpoint anchored on chain');
      })
      .catch((error: unknown) => this.log.warn({ err: { type: (error as Error).name, message: (error as Error).message.slice(0, 300) } }, 'anchoring the log checkpoint failed; retrying at the next interval'))
      .finally(() => {
        this.running = null;
      });
  }

  /** Stops the timer and waits for a round under way. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
