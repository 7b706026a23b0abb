import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createMemoryDedupe, type Hl7Dedupe } from '../../../../electron/intake/hl7/hl7-duplicates';
import { createHl7Intake, type Hl7IngestInput, type Hl7Intake, type Hl7IntakeOptions, type Hl7Logger, type Hl7QuarantineInput } from '../../../../electron/intake/hl7/hl7-intake';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/hl7/', import.meta.url));

/** A fixture's exact bytes (test/fixtures/hl7: the project's own synthetic messages). */
export function fixture(name: string): Buffer {
  return readFileSync(`${FIXTURES}${name}`);
}

/** HL7 text from segments, CR-terminated. */
export function hl7(...segments: string[]): Buffer {
  return Buffer.from(`${segments.join('\r')}\r`, 'utf8');
}

export function msh(type: string, controlId: string, extra = '', version = '2.5.1'): string {
  return `MSH|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20250301081500+0100||${type}|${controlId}|P|${version}${extra}`;
}

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly object: object;
  readonly message: string;
}

export function memoryLog(): Hl7Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (object, message) => lines.push({ level: 'info', object, message }),
    warn: (object, message) => lines.push({ level: 'warn', object, message }),
    error: (object, message) => lines.push({ level: 'error', object, message }),
  };
}

/** A fake pipeline: records what is ingested; `failNext` makes the next calls reject (disk full). */
export function fakePipeline() {
  const ingested: Hl7IngestInput[] = [];
  const quarantined: Hl7QuarantineInput[] = [];
  const state = { fail: 0, delayMs: 0, seq: 0 };
  const settle = async () => {
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    if (state.fail > 0) {
      state.fail--;
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    }
    state.seq++;
    return { seq: state.seq, objectId: state.seq.toString(16).padStart(64, '0') };
  };
  return {
    ingested,
    quarantined,
    state,
    ingest: async (input: Hl7IngestInput) => {
      const result = await settle();
      ingested.push(input);
      return result;
    },
    quarantine: async (input: Hl7QuarantineInput) => {
      const result = await settle();
      quarantined.push(input);
      return result;
    },
  };
}

export function makeIntake(overrides: Partial<Hl7IntakeOptions> = {}): { intake: Hl7Intake; pipeline: ReturnType<typeof fakePipeline>; log: ReturnType<typeof memoryLog>; dedupe: Hl7Dedupe } {
  const pipeline = fakePipeline();
  const log = memoryLog();
  const dedupe = overrides.dedupe ?? createMemoryDedupe();
  const intake = createHl7Intake({ ingest: pipeline.ingest, quarantine: pipeline.quarantine, dedupe, log, ...overrides });
  return { intake, pipeline, log, dedupe };
}

/** An ACK's segments → fields. */
export function segmentsOf(ack: Buffer | string): string[][] {
  const text = typeof ack === 'string' ? ack : ack.toString('latin1');
  return text
    .split('\r')
    .filter((line) => line !== '')
    .map((line) => line.split('|'));
}

export function segment(ack: Buffer | string, name: string): string[] {
  const found = segmentsOf(ack).find((fields) => fields[0] === name);
  if (found === undefined) throw new Error(`No ${name} in ${String(ack)}`);
  return found;
}
