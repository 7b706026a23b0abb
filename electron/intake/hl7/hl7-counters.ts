import { z } from 'zod';
import { Hl7SenderCountersSchema, IntakeTotalsSchema, type Hl7SenderCounters, type IntakeTotals } from '../../../shared/ipc';
import { countersFile, type CountersChannel } from '../intake-counters-store';
import { add, mergeCounters, type CountersSnapshot } from '../intake-monitor';
import type { Hl7CountedChange } from './hl7-intake';

/**
 * The HL7 listener's counters as kept across restarts (intake-counters-store.ts): the totals and
 * per sender, in `vault/intake/hl7-counters.json` and `hl7-counters.<n>.log`, in the format they
 * had before the store served other channels (a vault's existing files load as they are).
 */
export const HL7_COUNTERS_FILE = countersFile('hl7');

const n = z.number().int().nonnegative().max(1_000_000);
/** One log line: [sender or null, received, accepted, errored, duplicates, conflicts, reprocessed, oversize, lastAt]. */
const LogLineSchema = z.tuple([z.string().max(200).nullable(), n, n, n, n, n, n, n, z.union([z.literal(''), z.iso.datetime()])]);

const ZERO_TOTALS: IntakeTotals = { received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, oversize: 0, reprocessed: 0 };

export const HL7_COUNTERS: CountersChannel<CountersSnapshot, Hl7CountedChange> = {
  name: 'hl7',
  label: 'HL7 counters',
  snapshot: z.strictObject({
    since: z.iso.datetime(),
    totals: IntakeTotalsSchema,
    senders: z.array(Hl7SenderCountersSchema).max(10_000),
  }),
  line: (change) => [change.sender, change.received, change.accepted, change.errored, change.duplicates, change.conflicts, change.reprocessed, change.oversize, change.lastAt],
  replay(into, lines) {
    let totals = { ...(into?.totals ?? ZERO_TOTALS) };
    const senders = new Map<string, Hl7SenderCounters>((into?.senders ?? []).map((counters) => [counters.sender, { ...counters }]));
    let since = into?.since ?? null;
    let skipped = 0;
    for (const json of lines) {
      const parsed = LogLineSchema.safeParse(json);
      if (!parsed.success) {
        skipped++;
        continue;
      }
      const [sender, received, accepted, errored, duplicates, conflicts, reprocessed, oversize, lastAt] = parsed.data;
      totals = add(totals, { received, accepted, errored, duplicates, conflicts, oversize, reprocessed });
      if (since === null && lastAt !== '') since = lastAt;
      if (sender === null) continue;
      const before = senders.get(sender) ?? { sender, received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, reprocessed: 0, lastAt: '' };
      senders.set(sender, mergeCounters(before, { sender, received, accepted, errored, duplicates, conflicts, reprocessed, lastAt }));
    }
    return { snapshot: { since: since ?? new Date().toISOString(), totals, senders: [...senders.values()].slice(0, 10_000) }, skipped };
  },
};
