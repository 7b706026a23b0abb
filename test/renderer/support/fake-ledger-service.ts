import type {
  AccessReport,
  LedgerEntryView,
  LedgerFilter,
  LedgerKind,
  LedgerService,
  LedgerVerification,
  NodeIdentity,
} from '../../../renderer/ledger/ledger-service';
import { createCallScript, type ScriptedCalls } from './scripted-calls';

type Method = keyof LedgerService;

export interface FakeLedgerOptions {
  /** Entries in any order; the fake answers newest (highest seq) first. */
  readonly entries?: readonly LedgerEntryView[];
  /** Operator names by pseudonymous id. */
  readonly operators?: Readonly<Record<string, string>>;
  readonly identity?: Partial<NodeIdentity>;
  /** What lastVerification() answers at first (the verification at unlock). */
  readonly lastVerification?: LedgerVerification | null;
  /** What verify() answers; by default every entry verifies. */
  readonly verifyResult?: LedgerVerification;
  /** Without subscribe() and writerProblem() (the optional extras of the real service): the UI polls. */
  readonly withoutSignals?: boolean;
  /** Accesses by patient id, newest first. */
  readonly accesses?: Readonly<Record<string, readonly { operatorName: string; operator: string; at: string; seq: number; what?: string; workstation?: string }[]>>;
  /** What accessReport() answers (whatever the query; the calls record it). */
  readonly report?: AccessReport;
}

export interface FakeLedger extends LedgerService, ScriptedCalls<Method> {
  readonly entryList: LedgerEntryView[];
  /** Sets what lastVerification() answers, as a verification finishing in the background would (and tells the listeners). */
  setLastVerification(verification: LedgerVerification | null): void;
  /** Adds entries as the writer signing them would, newest on top, and tells the listeners. */
  sign(...entries: LedgerEntryView[]): void;
  /** Sets what writerProblem() answers and tells the listeners. */
  setWriterProblem(problem: string | null): void;
  setVerifyResult(verification: LedgerVerification): void;
}

export const NODE_ADDRESS = '0x9F2c3A1b7E5d4C6f8A0B1c2D3e4F5a6B7c8D9e0F';
export const INTAKE_PUBLIC_KEY = 'BPq7X2m9v4ZkLw3sT8nR5yH1cJ6aE0dG7uK2fQ9pM4xV8bN3zW5tY1hS6rL0jA2eC9gD4kF7oI3uB8vX5wZ1q';

const hex = (seed: number, bytes: number): string =>
  `0x${Array.from({ length: bytes }, (_, i) => ((seed * 31 + i * 17) % 256).toString(16).padStart(2, '0')).join('')}`;

/** A plausible signed entry; `seq` decides its hashes, so tests can predict them. */
export function makeEntry(seq: number, overrides: Partial<LedgerEntryView> = {}): LedgerEntryView {
  return {
    seq,
    kind: 'ACCESS',
    subject: `subj-${hex(seq + 1000, 16).slice(2)}`,
    operator: 'op-pseudo-ada',
    createdAt: new Date(Date.UTC(2025, 2, 1, 8, 0, 0) + seq * 60_000).toISOString(),
    prevHash: seq === 1 ? `0x${'0'.repeat(64)}` : hex(seq - 1, 32),
    payloadHash: hex(seq + 500, 32),
    inputs: [String(seq * 10)],
    entryHash: hex(seq, 32),
    signature: hex(seq + 2000, 65),
    signer: NODE_ADDRESS,
    summary: {},
    ...overrides,
  };
}

/** `count` entries, seq 1…count, cycling through a few kinds and operators (seq % 5 === 0: the node's intake). */
export function makeEntries(count: number): LedgerEntryView[] {
  const kinds: LedgerKind[] = ['ACCESS', 'ACCESS', 'CONSENT', 'SETTINGS_CHANGE'];
  return Array.from({ length: count }, (_, i) => {
    const seq = i + 1;
    if (seq % 5 === 0) return makeEntry(seq, { kind: 'INTAKE_BATCH', operator: '', subject: '', summary: { hl7: 12, dicom: 3 } });
    return makeEntry(seq, { kind: kinds[seq % kinds.length]!, operator: seq % 2 === 0 ? 'op-pseudo-ada' : 'op-pseudo-carl' });
  });
}

export const OPERATOR_NAMES: Readonly<Record<string, string>> = { 'op-pseudo-ada': 'Ada Admin', 'op-pseudo-carl': 'Carl Clinician' };

function matches(entry: LedgerEntryView, filter: LedgerFilter): boolean {
  if (filter.kinds !== undefined && filter.kinds.length > 0 && !filter.kinds.includes(entry.kind)) return false;
  if (filter.operator !== undefined && entry.operator !== filter.operator) return false;
  const day = entry.createdAt.slice(0, 10);
  if (filter.from !== undefined && day < filter.from) return false;
  if (filter.to !== undefined && day > filter.to) return false;
  if (filter.subject !== undefined && entry.subject !== filter.subject) return false;
  return true;
}

/** A LedgerService double in memory: entries, identity, verification, exports, with call records. */
export function createFakeLedger(options: FakeLedgerOptions = {}): FakeLedger {
  const entryList = [...(options.entries ?? [])].sort((a, b) => b.seq - a.seq);
  const script = createCallScript<Method>();
  const enter = script.enter;
  let identity: NodeIdentity = {
    address: NODE_ADDRESS,
    intakePublicKey: INTAKE_PUBLIC_KEY,
    institutionName: 'Brno Heart Clinic',
    institutionRole: 'clinic',
    appVersion: '0.1.0',
    chainId: 31337,
    ...options.identity,
  };
  let last: LedgerVerification | null = options.lastVerification ?? null;
  let verifyResult: LedgerVerification | undefined = options.verifyResult;
  let writerProblem: string | null = null;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const listener of [...listeners]) listener();
  };

  const ledger: FakeLedger = {
    calls: script.calls,
    entryList,
    callsTo: script.callsTo,
    failWith: script.failWith,
    hold: script.hold,
    release: script.release,
    setLastVerification(verification) {
      last = verification;
      notify();
    },
    sign(...entries) {
      entryList.push(...entries);
      entryList.sort((a, b) => b.seq - a.seq);
      notify();
    },
    setWriterProblem(problem) {
      writerProblem = problem;
      notify();
    },
    setVerifyResult(verification) {
      verifyResult = verification;
    },

    async identity() {
      await enter('identity', []);
      return identity;
    },
    async setInstitution(input) {
      await enter('setInstitution', [input]);
      identity = { ...identity, institutionName: input.name, institutionRole: input.role };
    },
    async exportNodeInfo() {
      await enter('exportNodeInfo', []);
      return { path: '/data/exports/node-info-2025-03-01.json', file: { name: 'node-info-2025-03-01.json', type: 'application/json', parts: ['{}\n'] } };
    },
    async entries(filter, page) {
      // Read as the call arrives, as the body's read would be: an entry signed while the answer is
      // held (on its way) is not in it.
      const answer = entryList
        .filter((entry) => page.beforeSeq === undefined || entry.seq < page.beforeSeq)
        .filter((entry) => matches(entry, filter))
        .slice(0, page.limit);
      await enter('entries', [filter, page]);
      return answer;
    },
    async entry(seq) {
      await enter('entry', [seq]);
      return entryList.find((entry) => entry.seq === seq) ?? null;
    },
    async accessesOf(patientId) {
      await enter('accessesOf', [patientId]);
      return options.accesses?.[patientId] ?? [];
    },
    async accessReport(query) {
      await enter('accessReport', [query]);
      return options.report ?? { rows: [], truncated: false };
    },
    async exportAccessReport(query) {
      await enter('exportAccessReport', [query]);
      return { path: '/data/exports/access-report-20250301T080000Z.csv', rows: options.report?.rows.length ?? 0, file: { name: 'access-report-20250301T080000Z.csv', type: 'text/csv', parts: ['\uFEFFtime_utc\r\n'] } };
    },
    async verify() {
      await enter('verify', []);
      last = verifyResult ?? { ok: true, entries: entryList.length, checkedAt: new Date().toISOString() };
      notify();
      return last;
    },
    lastVerification: () => last,
    async exportLedger() {
      await enter('exportLedger', []);
      return { path: '/data/exports/ledger-2025-03-01.jsonl', entries: entryList.length, file: { name: 'ledger-2025-03-01.jsonl', type: 'application/x-ndjson', parts: ['{}\n'] } };
    },
    async operatorNames() {
      await enter('operatorNames', []);
      return options.operators ?? OPERATOR_NAMES;
    },
  };
  if (options.withoutSignals === true) return ledger;
  return Object.assign(ledger, {
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    writerProblem: (): string | null => writerProblem,
  });
}
