import type { Patient } from '../../../shared/domain/clinical';
import { Refusal } from '../../errors/refusal';
import type { IntakePipeline } from '../intake-pipeline';
import { generateDemoMessages } from './demo-population';

/** A refusal of demo work (the router turns it into a wire error). */
export class DemoRefusal extends Refusal {}

export interface DemoImportProgress {
  /** Messages durable in the journal so far. */
  readonly messages: number;
  /** Patients all of whose messages are durable. */
  readonly patients: number;
  /** Patients requested: progress is `patients / total`. */
  readonly total: number;
}

export interface DemoImportOptions {
  readonly pipeline: IntakePipeline;
  readonly patients: number;
  readonly seed?: number;
  /** "Now" for the generated history; fixed in tests. */
  readonly now?: Date;
  /** Ingests in flight at once (the journal batches them into group commits). */
  readonly window?: number;
  readonly onProgress?: (progress: DemoImportProgress) => void;
  /** At most one progress report per this many ms (the last one always comes). */
  readonly progressIntervalMs?: number;
  /** Asked before each message; false stops the import (the node is stopping). */
  readonly shouldContinue?: () => boolean;
}

export interface DemoImportResult {
  readonly messages: number;
  readonly patients: number;
  readonly lastSeq: number;
}

/**
 * "Import demo data" (issue item 7): a synthetic population fed through the one sealed intake
 * pipeline, as journal kind `intake.demo`. Generates one patient at a time, keeps a bounded number
 * of ingests in flight, and resolves once every message is durable. On a failure (a full disk) it
 * stops issuing, waits for what is in flight, and rejects: what was acknowledged stays.
 */
export async function importDemoData(options: DemoImportOptions): Promise<DemoImportResult> {
  const { pipeline, patients: total, onProgress } = options;
  const window = Math.max(1, options.window ?? 64);
  const interval = options.progressIntervalMs ?? 100;
  let messages = 0;
  let patientsDone = 0;
  let lastSeq = 0;
  let failure: { error: unknown } | null = null;
  let lastReport = 0;
  const report = (force: boolean): void => {
    if (onProgress === undefined) return;
    const now = performance.now();
    if (!force && now - lastReport < interval) return;
    lastReport = now;
    onProgress({ messages, patients: patientsDone, total });
  };

  /** Per patient: messages not yet durable, and whether all its messages were issued. */
  const open = new Map<Patient, { outstanding: number; issued: boolean }>();
  const settlePatient = (patient: Patient): void => {
    const state = open.get(patient)!;
    if (state.issued && state.outstanding === 0) {
      open.delete(patient);
      patientsDone++;
    }
  };

  const inFlight = new Set<Promise<void>>();
  let current: Patient | null = null;
  const closeCurrent = (): void => {
    if (current === null) return;
    open.get(current)!.issued = true;
    settlePatient(current);
  };
  for (const message of generateDemoMessages({ patients: total, ...(options.seed === undefined ? {} : { seed: options.seed }), ...(options.now === undefined ? {} : { now: options.now }) })) {
    if (failure === null && options.shouldContinue?.() === false) {
      failure = { error: new DemoRefusal('E_UNAVAILABLE', 'The node is stopping, so the demo import stopped; what was imported so far is kept.') };
    }
    if (failure !== null) break;
    const patient = message.normalized.patient;
    if (patient !== current) {
      closeCurrent();
      current = patient;
      open.set(patient, { outstanding: 0, issued: false });
    }
    open.get(patient)!.outstanding++;
    const task: Promise<void> = pipeline
      .ingest({ kind: 'intake.demo', raw: message.raw, normalized: message.normalized })
      .then(
        (result) => {
          messages++;
          lastSeq = Math.max(lastSeq, result.seq);
          open.get(patient)!.outstanding--;
          settlePatient(patient);
          report(false);
        },
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  if (failure === null) closeCurrent();
  await Promise.all(inFlight);
  if (failure !== null) throw (failure as { error: unknown }).error;
  report(true);
  return { messages, patients: patientsDone, lastSeq };
}
