import {
  THROUGHPUT_BUCKETS,
  THROUGHPUT_BUCKET_SECONDS,
  type Hl7RecentMessage,
  type Hl7SenderCounters,
  type IntakeTotals,
  type ThroughputBucket,
} from '../../shared/ipc';
import { MAX_NAMED_SENDERS, OTHER_SENDERS, type Hl7IntakeStats } from './hl7/hl7-intake';

const RECENT_LIMIT = 200;
const ZERO: IntakeTotals = { received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, oversize: 0, reprocessed: 0 };

/** The counters as kept across restarts (intake-counters-store.ts): since when, the totals, per sender. */
export interface CountersSnapshot {
  /** ISO time counting started: the first start with this vault, or the last reset. */
  readonly since: string;
  readonly totals: IntakeTotals;
  readonly senders: readonly Hl7SenderCounters[];
}

export interface IntakeMonitorOptions {
  /** Told the totals when they changed, at most once per `coalesceMs`. */
  readonly onActivity: (totals: IntakeTotals) => void;
  /** Told the counters after they changed (with onActivity, at most once per `coalesceMs`), to keep them across restarts. */
  readonly onCounters?: (snapshot: CountersSnapshot) => void;
  readonly coalesceMs?: number;
  readonly now?: () => number;
}

function negate(a: IntakeTotals): IntakeTotals {
  return { received: -a.received, accepted: -a.accepted, errored: -a.errored, duplicates: -a.duplicates, conflicts: -a.conflicts, oversize: -a.oversize, reprocessed: -(a.reprocessed ?? 0) };
}

/** Two sets of totals added (also the counters' write-ahead log replay, intake-counters-store.ts). */
export function add(a: IntakeTotals, b: IntakeTotals): IntakeTotals {
  return {
    received: a.received + b.received,
    accepted: a.accepted + b.accepted,
    errored: a.errored + b.errored,
    duplicates: a.duplicates + b.duplicates,
    conflicts: a.conflicts + b.conflicts,
    oversize: a.oversize + b.oversize,
    // Absent in counters saved before reprocesses were counted apart.
    reprocessed: (a.reprocessed ?? 0) + (b.reprocessed ?? 0),
  };
}

function recentEntry(message: Hl7IntakeStats['recent'][number]): Hl7RecentMessage {
  return {
    at: message.at,
    channel: message.channel,
    sender: message.sender,
    controlId: message.controlId,
    messageType: message.messageType,
    acks: message.acks.split('/').filter((code) => code !== ''),
    ...(message.duplicate === true ? { duplicate: true as const } : {}),
    ...(message.conflict === true ? { conflict: true as const } : {}),
    ...(message.quarantined === true ? { quarantined: true as const } : {}),
    ...(message.reason !== undefined ? { reason: message.reason } : {}),
  };
}

/**
 * The intake monitor's figures over the node's run. The HL7 intake keeps counters per instance;
 * an instance is replaced when settings change (and file imports with another charset use a
 * short-lived one), so retired instances' figures are folded in here. Throughput is kept in
 * 10-second buckets for the last 10 minutes, from the change of the totals at each `note()`.
 * Everything here is PHI-free: senders are systems (MSH-3|MSH-4), messages control ids and types.
 *
 * The totals and per-sender counters are kept across restarts: `restore` takes what an earlier run
 * saved as a baseline, `onCounters` is told the current figures (coalesced) to save them, and
 * `reset` starts counting again from zero (the baseline becomes minus what was counted, so the
 * live intakes need not know). Recent messages and throughput are of this run only.
 *
 * A sender's figures (received, accepted…) count what the sender sent, over MLLP or in files; an
 * operator's reprocess of a quarantined message is counted apart (`reprocessed`), so a sender that
 * sent five messages shows five received however often the quarantine ran them again.
 */
export class IntakeMonitor {
  private readonly sources = new Set<() => Hl7IntakeStats>();
  /** Counted before this run (restore) or negated at a reset: added to everything counted here. */
  private baselineTotals: IntakeTotals = ZERO;
  private baselineSenders = new Map<string, Hl7SenderCounters>();
  private countingSince: string;
  private retiredTotals: IntakeTotals = ZERO;
  private readonly retiredSenders = new Map<string, Hl7SenderCounters>();
  private retiredRecent: Hl7RecentMessage[] = [];
  private noted: IntakeTotals = ZERO;
  private readonly buckets = new Map<number, { received: number; errored: number }>();
  private timer: NodeJS.Timeout | null = null;
  private announced: IntakeTotals = ZERO;
  private readonly now: () => number;
  private readonly coalesceMs: number;

  constructor(private readonly options: IntakeMonitorOptions) {
    this.now = options.now ?? Date.now;
    this.coalesceMs = options.coalesceMs ?? 1000;
    this.countingSince = new Date(this.now()).toISOString();
  }

  /** Since when the counters count (this run's start, what `restore` said, or the last reset). */
  since(): string {
    return this.countingSince;
  }

  /** Takes the counters an earlier run saved as the baseline (replacing any baseline). */
  restore(saved: CountersSnapshot): void {
    this.baselineTotals = { ...saved.totals };
    this.baselineSenders = new Map(saved.senders.map((counters) => [counters.sender, { ...counters }]));
    this.countingSince = saved.since;
  }

  /**
   * The counters now, as `onCounters` is told them: every sender known, also one that counted
   * nothing since a reset, so its last message time survives a restart (a reprocess of its
   * message after the restart lists it again with that time).
   */
  snapshot(): CountersSnapshot {
    return { since: this.countingSince, totals: this.totals(), senders: this.merged().filter((counters) => counters.lastAt !== '') };
  }

  /** Starts counting again from zero now (every sender too); tells `onCounters` at once. */
  reset(): CountersSnapshot {
    const totals = this.totals();
    const senders = this.merged();
    this.baselineTotals = add(this.baselineTotals, negate(totals));
    for (const counters of senders) {
      const negative: Hl7SenderCounters = {
        sender: counters.sender,
        received: -counters.received,
        accepted: -counters.accepted,
        errored: -counters.errored,
        duplicates: -counters.duplicates,
        conflicts: -counters.conflicts,
        reprocessed: -(counters.reprocessed ?? 0),
        lastAt: '',
      };
      const before = this.baselineSenders.get(counters.sender);
      this.baselineSenders.set(counters.sender, before === undefined ? negative : mergeCounters(before, negative));
    }
    this.countingSince = new Date(this.now()).toISOString();
    const snapshot = this.snapshot();
    this.options.onCounters?.(snapshot);
    return snapshot;
  }

  /** A live intake whose stats count (until retired). */
  attach(stats: () => Hl7IntakeStats): void {
    this.sources.add(stats);
  }

  /** Keeps an intake's final figures and stops asking it. */
  retire(stats: () => Hl7IntakeStats): void {
    if (!this.sources.delete(stats)) return;
    const final = stats();
    this.retiredTotals = add(this.retiredTotals, final.totals);
    for (const counters of final.senders) {
      const before = this.retiredSenders.get(counters.sender);
      this.retiredSenders.set(counters.sender, before === undefined ? { ...counters } : mergeCounters(before, counters));
    }
    this.retiredRecent = [...final.recent.map(recentEntry), ...this.retiredRecent].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, RECENT_LIMIT);
  }

  totals(): IntakeTotals {
    let totals = add(this.baselineTotals, this.retiredTotals);
    for (const source of this.sources) totals = add(totals, source().totals);
    return totals;
  }

  /** After each frame, file or reprocess: counts the change into the throughput and schedules `hl7.activity`. */
  note(): void {
    const totals = this.totals();
    const received = totals.received - this.noted.received;
    const errored = totals.errored - this.noted.errored;
    this.noted = totals;
    if (received > 0 || errored > 0) {
      const t = this.bucketOf(this.now());
      const bucket = this.buckets.get(t) ?? { received: 0, errored: 0 };
      bucket.received += Math.max(0, received);
      bucket.errored += Math.max(0, errored);
      this.buckets.set(t, bucket);
      this.prune(t);
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      const current = this.totals();
      if (JSON.stringify(current) !== JSON.stringify(this.announced)) {
        this.announced = current;
        this.options.onActivity(current);
        this.options.onCounters?.(this.snapshot());
      }
    }, this.coalesceMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * The senders that counted something since the reset, by name: what they sent, or only an
   * operator's reprocess of a message they sent before (received 0, reprocessed 1).
   */
  senders(): Hl7SenderCounters[] {
    return this.merged().filter((counters) => counters.lastAt !== '' && (counters.received > 0 || (counters.reprocessed ?? 0) > 0));
  }

  /** Every sender's figures: the baseline, retired and live intakes added up, by name. */
  private merged(): Hl7SenderCounters[] {
    const merged = new Map<string, Hl7SenderCounters>();
    for (const [sender, counters] of this.baselineSenders) merged.set(sender, { ...counters });
    for (const [sender, counters] of this.retiredSenders) {
      const before = merged.get(sender);
      merged.set(sender, before === undefined ? { ...counters } : mergeCounters(before, counters));
    }
    for (const source of this.sources) {
      for (const counters of source().senders) {
        const before = merged.get(counters.sender);
        merged.set(counters.sender, before === undefined ? { ...counters } : mergeCounters(before, counters));
      }
    }
    return [...capped(merged).values()].sort((a, b) => (a.sender < b.sender ? -1 : a.sender > b.sender ? 1 : 0));
  }

  recent(): Hl7RecentMessage[] {
    const live = [...this.sources].flatMap((source) => source().recent.map(recentEntry));
    return [...live, ...this.retiredRecent].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, RECENT_LIMIT);
  }

  /** The last 10 minutes, oldest first, one entry per 10-second bucket (empty ones included). */
  throughput(): ThroughputBucket[] {
    const last = this.bucketOf(this.now());
    this.prune(last);
    const out: ThroughputBucket[] = [];
    for (let i = THROUGHPUT_BUCKETS - 1; i >= 0; i--) {
      const t = last - i * THROUGHPUT_BUCKET_SECONDS;
      const bucket = this.buckets.get(t);
      out.push({ t, received: bucket?.received ?? 0, errored: bucket?.errored ?? 0 });
    }
    return out;
  }

  private bucketOf(ms: number): number {
    const seconds = Math.floor(ms / 1000);
    return seconds - (seconds % THROUGHPUT_BUCKET_SECONDS);
  }

  private prune(last: number): void {
    const horizon = last - (THROUGHPUT_BUCKETS - 1) * THROUGHPUT_BUCKET_SECONDS;
    for (const t of this.buckets.keys()) if (t < horizon) this.buckets.delete(t);
  }
}

/**
 * At most MAX_NAMED_SENDERS named rows, as each intake keeps (hl7-intake.ts): intakes replaced by
 * settings changes could otherwise add up to more. The senders heard from last keep their rows (on
 * a tie, the later counted); the others are added into the OTHER_SENDERS row.
 */
function capped(merged: Map<string, Hl7SenderCounters>): Map<string, Hl7SenderCounters> {
  const named = [...merged.values()].filter((counters) => counters.sender !== OTHER_SENDERS);
  if (named.length <= MAX_NAMED_SENDERS) return merged;
  const order = new Map(named.map((counters, index) => [counters.sender, index]));
  named.sort((a, b) => (a.lastAt !== b.lastAt ? (a.lastAt < b.lastAt ? 1 : -1) : order.get(b.sender)! - order.get(a.sender)!));
  const kept = new Map<string, Hl7SenderCounters>(named.slice(0, MAX_NAMED_SENDERS).map((counters) => [counters.sender, counters]));
  let other = merged.get(OTHER_SENDERS) ?? { sender: OTHER_SENDERS, received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, reprocessed: 0, lastAt: '' };
  for (const counters of named.slice(MAX_NAMED_SENDERS)) other = mergeCounters(other, counters);
  kept.set(OTHER_SENDERS, other);
  return kept;
}

/** One sender's counters added to another's, the later `lastAt` kept (also the write-ahead log replay). */
export function mergeCounters(a: Hl7SenderCounters, b: Readonly<Hl7SenderCounters>): Hl7SenderCounters {
  return {
    sender: a.sender,
    received: a.received + b.received,
    accepted: a.accepted + b.accepted,
    errored: a.errored + b.errored,
    duplicates: a.duplicates + b.duplicates,
    conflicts: a.conflicts + b.conflicts,
    reprocessed: (a.reprocessed ?? 0) + (b.reprocessed ?? 0),
    lastAt: a.lastAt > b.lastAt ? a.lastAt : b.lastAt,
  };
}
