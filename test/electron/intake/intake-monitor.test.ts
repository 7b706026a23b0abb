import { describe, expect, it } from 'vitest';
import { MAX_NAMED_SENDERS, OTHER_SENDERS } from '../../../electron/intake/hl7/hl7-intake';
import { IntakeMonitor } from '../../../electron/intake/intake-monitor';
import { hl7, makeIntake, msh } from './hl7/hl7-test-support';

const peer = { address: '127.0.0.1', port: 40000 };
const noPid = hl7(msh('ORU^R01^ORU_R01', 'NOPID-1'), 'OBR|1||ACC-1|2951-2^Sodium^LN', 'OBX|1|NM|2951-2^Sodium^LN||140|mmol/L|135-145|N|||F');
const withPid = hl7(msh('ORU^R01^ORU_R01', 'NOPID-1'), 'PID|1||MRN-5^^^SENDFAC^MR||Doe^Jan', 'OBR|1||ACC-1|2951-2^Sodium^LN', 'OBX|1|NM|2951-2^Sodium^LN||140|mmol/L|135-145|N|||F');

function monitorOf(...intakes: ReturnType<typeof makeIntake>['intake'][]): IntakeMonitor {
  const monitor = new IntakeMonitor({ onActivity: () => undefined, coalesceMs: 60_000 });
  for (const intake of intakes) monitor.attach(() => intake.stats());
  return monitor;
}

describe('Intake monitor: per-sender counters after a reset (QA explore-11 D4 follow-up)', () => {
  it('lists a sender whose only traffic since the reset is an operator reprocess', async () => {
    const { intake, pipeline } = makeIntake();
    const monitor = monitorOf(intake);
    await intake.handleFrame(noPid, peer);
    const quarantineSeq = pipeline.state.seq;
    monitor.reset();
    expect(monitor.senders()).toEqual([]);

    await intake.importFile(withPid, { reprocess: { quarantineSeq, edited: true } });
    expect(monitor.senders()).toEqual([expect.objectContaining({ sender: 'SENDAPP|SENDFAC', received: 0, accepted: 0, reprocessed: 1 })]);
    expect(monitor.totals()).toMatchObject({ received: 0, reprocessed: 1 });
    monitor.stop();
  });

  it('lists it when the reprocess runs in another intake than the one the message came through (settings changed)', async () => {
    const arrived = makeIntake();
    const monitor = monitorOf();
    const stats = () => arrived.intake.stats();
    monitor.attach(stats);
    await arrived.intake.handleFrame(noPid, peer);
    const lastAt = monitor.senders()[0]!.lastAt;
    monitor.retire(stats);
    monitor.reset();
    const later = makeIntake();
    monitor.attach(() => later.intake.stats());
    await later.intake.importFile(withPid, { reprocess: { quarantineSeq: 1, edited: true } });
    // "Last message" stays the sender's: the reprocess is not a message it sent.
    expect(monitor.senders()).toEqual([expect.objectContaining({ sender: 'SENDAPP|SENDFAC', received: 0, reprocessed: 1, lastAt })]);
    monitor.stop();
  });

  it('lists it after a restart between the reset and the reprocess (the saved counters keep the sender)', async () => {
    const arrived = makeIntake();
    let saved: Parameters<IntakeMonitor['restore']>[0] | null = null;
    const before = new IntakeMonitor({ onActivity: () => undefined, onCounters: (snapshot) => (saved = snapshot), coalesceMs: 60_000 });
    before.attach(() => arrived.intake.stats());
    await arrived.intake.handleFrame(noPid, peer);
    const lastAt = before.senders()[0]!.lastAt;
    before.reset();
    before.stop();

    const after = monitorOf();
    after.restore(saved!);
    expect(after.senders()).toEqual([]);
    const restarted = makeIntake();
    after.attach(() => restarted.intake.stats());
    await restarted.intake.importFile(withPid, { reprocess: { quarantineSeq: 1, edited: true } });
    expect(after.senders()).toEqual([expect.objectContaining({ sender: 'SENDAPP|SENDFAC', received: 0, reprocessed: 1, lastAt })]);
    after.stop();
  });

  it('still hides a sender that counted nothing since the reset', async () => {
    const { intake } = makeIntake();
    const monitor = monitorOf(intake);
    await intake.handleFrame(withPid, peer);
    monitor.reset();
    expect(monitor.senders()).toEqual([]);
    await intake.handleFrame(hl7(msh('ADT^A08^ADT_A01', 'A08-1'), 'PID|1||MRN-5^^^SENDFAC^MR||Doe^Jan'), peer);
    expect(monitor.senders()).toEqual([expect.objectContaining({ sender: 'SENDAPP|SENDFAC', received: 1, accepted: 1, reprocessed: 0 })]);
    monitor.stop();
  });
});

describe('Intake monitor: per-sender rows stay bounded across intakes', () => {
  it('intakes replaced one after another (settings changes) add up to at most MAX_NAMED_SENDERS named rows; the rest go to one row', async () => {
    const monitor = monitorOf();
    const rounds = 3;
    for (let round = 0; round < rounds; round++) {
      const { intake } = makeIntake();
      const stats = () => intake.stats();
      monitor.attach(stats);
      for (let i = 0; i < MAX_NAMED_SENDERS; i++) {
        await intake.handleFrame(hl7(`MSH|^~\\&|R${round}APP${i}|FAC|RECVAPP|RECVFAC|20250301081500+0100||ADT^A04|C${round}-${i}|P|2.5.1`, 'PID|1||MRN-B2^^^CLINIC^MR||Bound^Test'), peer);
      }
      monitor.retire(stats);
    }
    const rows = monitor.senders();
    expect(rows).toHaveLength(MAX_NAMED_SENDERS + 1);
    expect(rows.reduce((sum, row) => sum + row.received, 0)).toBe(rounds * MAX_NAMED_SENDERS);
    expect(rows.find((row) => row.sender === OTHER_SENDERS)).toMatchObject({ received: (rounds - 1) * MAX_NAMED_SENDERS });
    // The newest senders keep their own rows.
    expect(rows.some((row) => row.sender === `R${rounds - 1}APP0|FAC`)).toBe(true);
    monitor.stop();
  });
});
