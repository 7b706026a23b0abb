import { identifierPrefixWords, namePrefixes, queryWordGroups, recordWords, type RecordText } from '../../../shared/crypto/blind-index';
import type { Patient } from '../../../shared/domain/clinical';
import { patientText, recordText } from '../../../renderer/vault/views/intake-rows';
import {
  VaultError,
  mayReadJournalIssues,
  type IndexingState,
  type JournalIssues,
  type MessagePage,
  type MessageSummary,
  type OperatorRole,
  type OperatorSummary,
  type PatientDetail,
  type PatientHit,
  type QuarantineEntry,
  type RawMessage,
  type RecordRow,
  type SearchResult,
  type StudyListEntry,
  type ViewerStudy,
  type SyncProgress,
  type VaultPhase,
  type VaultService,
} from '../../../renderer/vault/vault-service';
import type { DeviceReport } from '../../../renderer/vault/views/device-reports';
import { createCallScript, type ScriptedCalls } from './scripted-calls';
import { BACKUP_REFUSALS } from '../../../renderer/vault/backup/backup-keyring';

type Method = keyof VaultService;

interface FakeOperator {
  readonly operatorId: string;
  name: string;
  role: OperatorRole;
  disabled: boolean;
  passphrase: string;
}

export interface FakePatient {
  readonly patientId: string;
  readonly patient: Patient;
  readonly records: RecordRow[];
}

export interface FakeVaultOptions {
  readonly phase?: VaultPhase;
  /** Operators of an existing vault: the first is the one `phase: 'unlocked'` starts as. */
  readonly operators?: readonly { name: string; role: OperatorRole; passphrase: string; disabled?: boolean }[];
  readonly patients?: readonly FakePatient[];
  readonly recoveryKey?: string;
  readonly autoLockMinutes?: number;
  /** retryAfterMs for the 1st, 2nd… wrong passphrase in a row (the last repeats). */
  readonly wrongPassphraseDelays?: readonly number[];
  /** Whether the host offers an OS keychain (autoUnlockAvailable); false, like the shell, by default. */
  readonly keychainAvailable?: boolean;
  /** An existing vault whose first operator already unlocks automatically. */
  readonly autoUnlock?: boolean;
  /** The quarantine view (newest first, as the real service answers). */
  readonly quarantine?: readonly QuarantineEntry[];
  /** The message browser's messages (any order; answered newest first). */
  readonly messages?: readonly MessageSummary[];
  /** How quarantined messages were settled, by their seq (openMessage adds the copies a reprocess filed, from `messages`). */
  readonly resolutions?: Readonly<Record<number, { readonly status: 'reprocessed' | 'discarded'; readonly at?: string; readonly heldAgainAs: readonly number[] }>>;
  /** Who ran the reprocess that filed a copy, by the copy's seq (an operator pseudonym): the copy's page and its quarantine record's list say so. */
  readonly reprocessedBy?: Readonly<Record<number, string>>;
  /** Raw messages by quarantine seq (`q:<seq>`), record id (`r:<recordId>`) or message seq (`m:<seq>`). */
  readonly raw?: Readonly<Record<string, string | Uint8Array>>;
  /** What journalIssues() answers; none by default. */
  readonly journalIssues?: JournalIssues;
  /** The imaging studies (any order; answered as given). */
  readonly studies?: readonly StudyListEntry[];
  /** What openStudy answers, by study id, and the Part 10 bytes instanceSource gives by instance id (the viewer). */
  readonly viewerStudies?: readonly ViewerStudy[];
  readonly instanceBytes?: Readonly<Record<string, Uint8Array>>;
  /** The device reports (answered as given, filtered by system id). */
  readonly deviceReports?: readonly DeviceReport[];
}

/** `calls` holds every call with its arguments, passphrases included: it is a test double. */
export interface FakeVault extends VaultService, ScriptedCalls<Method> {
  readonly patients: Map<string, FakePatient>;
  /** The quarantine view; tests change it (then the UI refreshes on an event). */
  quarantineRows: QuarantineEntry[];
  /** How many erasures restoreBackup() reports applied again. */
  restoreErasuresReapplied: number;
  /** The restored backup's date and its last ledger entry, as restoreBackup() reports them. */
  restoreBackupCreatedAt: string;
  restoreLedgerSeq: number;
  /** Whether the backup restoreBackup() is given has an erasure register beside it (else one must be chosen, or restored without). */
  restoreRegisterBeside: boolean;
  /** Set: restoreBackup() refuses with these words (E_BACKUP_LABEL_ALTERED) unless acceptAlteredLabel is given. */
  restoreLabelAltered: string | null;
  /** What erasePatient() reports about the erasure record beside the backups (null: copied). */
  erasureRecordProblem: string | null;
  /** What erasurePreview() answers: quarantined inputs and access reports erased with the patient. */
  erasurePreviewAnswer: { quarantined: number; reports: number };
  /** The message browser's messages; tests change them. */
  messageRows: MessageSummary[];
  /** What journalIssues() answers; tests change it (then the UI refreshes after indexing). */
  journalIssueCounts: JournalIssues;
  /** Ids in display order for search('') and bulk data; built on demand from `patients` or `bulk`. */
  seedBulk(count: number): void;
  /** Locks as auto-lock would, from outside the UI. */
  autoLock(): void;
  /**
   * Sets what indexing() answers (busy/applied) and tells the listeners, as the real service does
   * when a replay starts, progresses or ends. Call inside act() once rendered.
   */
  setIndexing(state: Partial<IndexingState>): void;
  listenerCount(): number;
}

export const TEST_RECOVERY_KEY = 'ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-2345-6789';
export const ADMIN_PASSPHRASE = 'correct horse battery staple';

/**
 * What the blind index holds for one patient, in plaintext: the words of the same texts the real
 * views index (intake-rows.ts), cut by the same rules (shared/crypto/blind-index.ts), and the name
 * and identifier prefixes. So the fake finds exactly what the real search finds: no substrings, no
 * one-letter queries, no year of a birth date, no prefixes of codes or words.
 */
interface IndexedWords {
  readonly words: ReadonlySet<string>;
  readonly prefixes: ReadonlySet<string>;
}

function indexedWords(texts: readonly RecordText[], identifiers: readonly string[] = []): IndexedWords {
  const words = new Set<string>();
  const prefixes = new Set<string>();
  for (const text of texts) {
    const cut = recordWords(text);
    for (const word of cut.words) words.add(word);
    for (const prefix of namePrefixes(cut.nameWords)) prefixes.add(prefix);
  }
  // Identifiers get prefixes too, also of their digit run (token-cache.ts identifierPrefixTokens): a partial MRN matches.
  for (const prefix of namePrefixes(identifierPrefixWords(identifiers))) prefixes.add(prefix);
  return { words, prefixes };
}

/** message-log.ts controlTokens on plaintext: the typed start, in upper case; under 3 characters the whole id. */
function controlIdMatches(controlId: string, typed: string): boolean {
  const [id, query] = [controlId.trim().toUpperCase(), typed.trim().toUpperCase()];
  return [...query].length < 3 ? id === query : id.startsWith(query);
}

function hitOf(entry: FakePatient): PatientHit {
  const { patient } = entry;
  const primary = patient.identifiers[0];
  return {
    patientId: entry.patientId,
    name: `${patient.name.family}, ${patient.name.given.join(' ')}`,
    birthDate: patient.birthDate ?? '',
    sex: patient.sex ?? '',
    identifier: primary === undefined ? '' : `${primary.value} (${primary.authority})`,
  };
}

/** A bulk patient, made up from its number: 100 000 of them cost nothing until a row is asked for. */
export function bulkPatientId(index: number): string {
  return `bulk-${String(index).padStart(6, '0')}`;
}

function bulkText(patientId: string): RecordText {
  const n = Number(patientId.slice(5));
  return { names: ['Bulk', 'Patient', String(n)], other: [`MRN${String(n).padStart(8, '0')}`], dates: ['1970-01-01'] };
}

function bulkHit(patientId: string): PatientHit {
  const n = Number(patientId.slice(5));
  return {
    patientId,
    name: `Bulk, Patient ${n}`,
    birthDate: '1970-01-01',
    sex: n % 2 === 0 ? 'F' : 'M',
    identifier: `MRN${String(n).padStart(8, '0')} (HDMS-DEMO)`,
  };
}

let demoCounter = 0;

/** A demo patient with a few records, like the demo generator would produce. */
export function makePatient(index: number, overrides: Partial<Patient> = {}, records: RecordRow[] = []): FakePatient {
  const patientId = `p-${index}`;
  return {
    patientId,
    patient: {
      identifiers: [{ value: `MRN${String(index).padStart(8, '0')}`, authority: 'HDMS-DEMO', type: 'MR' }],
      name: { family: `Family${index}`, given: [`Given${index}`] },
      birthDate: '1980-02-01',
      sex: 'F',
      ...overrides,
    },
    records: records.map((row) => ({ ...row, patientId })),
  };
}

export function createFakeVault(options: FakeVaultOptions = {}): FakeVault {
  let phase: VaultPhase = options.phase ?? 'absent';
  let recoveryKey = options.recoveryKey ?? TEST_RECOVERY_KEY;
  let autoLock = options.autoLockMinutes ?? 15;
  let nextOperator = 1;
  const operators: FakeOperator[] = (
    options.operators ?? (phase === 'absent' ? [] : [{ name: 'Ada Admin', role: 'admin' as const, passphrase: ADMIN_PASSPHRASE }])
  ).map((o) => ({ operatorId: `op-${nextOperator++}`, name: o.name, role: o.role, disabled: o.disabled ?? false, passphrase: o.passphrase }));
  let current: FakeOperator | null = phase === 'unlocked' ? (operators[0] ?? null) : null;
  /** Who the last lock locked out (VaultService.lockedBy): in memory, like the real service. */
  let lockedBy: string | null = null;
  let wrongInARow = 0;
  const delays = options.wrongPassphraseDelays ?? [0];
  const listeners = new Set<() => void>();
  let indexing: IndexingState = { busy: false, applied: 0 };
  const patients = new Map<string, FakePatient>((options.patients ?? []).map((p) => [p.patientId, p]));
  /** Device sessions assigned to patients (assignDeviceSession), applied over options.deviceReports. */
  const deviceAssignments = new Map<string, string>();
  const deviceReportsNow = (): DeviceReport[] =>
    (options.deviceReports ?? []).map((r) => {
      const readingPatients = r.readings.map((reading, i) => deviceAssignments.get(`${r.session}/${reading.personId ?? ''}`) ?? deviceAssignments.get(`${r.session}/`) ?? r.readingPatients[i] ?? null);
      return { ...r, patientId: readingPatients[0] ?? r.patientId, readingPatients };
    });
  let bulkCount = 0;
  const script = createCallScript<Method>();
  const calls = script.calls;
  const keychainAvailable = options.keychainAvailable ?? false;
  /** The operator the keychain slot unlocks as (one per vault), or null. */
  let keychainOperator: string | null = options.autoUnlock === true ? (operators[0]?.operatorId ?? null) : null;

  const notify = (): void => {
    for (const listener of [...listeners]) listener();
  };
  const summary = (o: FakeOperator): OperatorSummary => ({ operatorId: o.operatorId, name: o.name, role: o.role, disabled: o.disabled });

  /** Records the call, applies a configured failure or hold, and checks the phase. */
  async function enter(method: Method, args: unknown[], needs: VaultPhase | null = 'unlocked'): Promise<void> {
    await script.enter(method, args);
    if (needs === 'unlocked' && phase !== 'unlocked') throw new VaultError('E_LOCKED', 'The vault is locked.');
  }
  function requireAdmin(): void {
    if (current?.role !== 'admin') throw new VaultError('E_NOT_ALLOWED', 'Only an administrator may do this.');
  }
  /** Every patient id in id order, as the real views list them (they cannot sort by name). */
  function allIds(): string[] {
    const named = [...patients.keys()].sort();
    const bulk = Array.from({ length: bulkCount }, (_, i) => bulkPatientId(i + 1));
    return named.length === 0 ? bulk : [...named, ...bulk].sort();
  }

  const raw = new Map(Object.entries(options.raw ?? {}).map(([key, value]) => [key, typeof value === 'string' ? new TextEncoder().encode(value) : value]));
  const rawOf = (key: string, seq: number): RawMessage => {
    const bytes = raw.get(key);
    if (bytes === undefined) throw new VaultError('E_NODE', 'No raw message.');
    return { seq, objectId: 'a'.repeat(64), bytes };
  };

  const vault: FakeVault = {
    calls,
    patients,
    quarantineRows: [...(options.quarantine ?? [])],
    erasureRecordProblem: null,
    erasurePreviewAnswer: { quarantined: 0, reports: 0 },
    restoreErasuresReapplied: 0,
    restoreBackupCreatedAt: '2026-12-07T08:48:31.000Z',
    restoreLedgerSeq: 10,
    restoreRegisterBeside: true,
    restoreLabelAltered: null,
    messageRows: [...(options.messages ?? [])],
    journalIssueCounts: options.journalIssues ?? { problems: 0, rejected: 0 },
    seedBulk(count) {
      bulkCount = count;
    },
    failWith: script.failWith,
    hold: script.hold,
    release: script.release,
    autoLock() {
      vault.lock();
    },
    setIndexing(state) {
      const next = { ...indexing, ...state };
      if (!next.busy) next.applied = 0;
      if (next.busy === indexing.busy && next.applied === indexing.applied) return;
      indexing = next;
      notify();
    },
    callsTo: script.callsTo,
    listenerCount() {
      return listeners.size;
    },

    phase: () => phase,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    currentOperator: () => (current === null ? null : summary(current)),
    lockedBy: () => lockedBy,
    indexing: () => indexing,

    async create(input) {
      await enter('create', [input], null);
      if (phase !== 'absent') throw new VaultError('E_EXISTS', 'A vault exists already.');
      if (input.passphrase.length < 12) throw new VaultError('E_WEAK_PASSPHRASE', 'The passphrase is too weak.');
      const admin: FakeOperator = { operatorId: `op-${nextOperator++}`, name: input.operatorName, role: 'admin', disabled: false, passphrase: input.passphrase };
      operators.push(admin);
      current = admin;
      phase = 'unlocked';
      const autoUnlock = input.autoUnlock === true && keychainAvailable;
      if (autoUnlock) keychainOperator = admin.operatorId;
      notify();
      return { recoveryKey, autoUnlock };
    },
    async operators() {
      await enter('operators', [], null);
      return operators.map(summary);
    },
    async unlock(input) {
      await enter('unlock', [{ ...input }], 'locked');
      const operator = operators.find((o) => o.operatorId === input.operatorId);
      if (operator === undefined) throw new VaultError('E_WRONG_PASSPHRASE', 'No such operator.');
      if (operator.disabled) throw new VaultError('E_OPERATOR_DISABLED', 'This operator is disabled.');
      if (operator.passphrase !== input.passphrase) {
        wrongInARow += 1;
        const delay = delays[Math.min(wrongInARow, delays.length) - 1] ?? 0;
        throw new VaultError('E_WRONG_PASSPHRASE', 'Wrong passphrase.', delay);
      }
      wrongInARow = 0;
      current = operator;
      phase = 'unlocked';
      notify();
    },
    async recover(input) {
      await enter('recover', [input], 'locked');
      const compact = (key: string) => key.replace(/[\s-]/g, '').toUpperCase();
      if (!/^[A-Z0-9\s-]+$/i.test(input.recoveryKey)) throw new VaultError('E_RECOVERY_KEY_FORMAT', 'Not a recovery key.');
      if (compact(input.recoveryKey) !== compact(recoveryKey)) throw new VaultError('E_WRONG_PASSPHRASE', 'Wrong recovery key.');
      const operator = operators.find((o) => o.operatorId === input.operatorId);
      if (operator === undefined) throw new VaultError('E_WRONG_PASSPHRASE', 'No such operator.');
      operator.passphrase = input.newPassphrase;
      current = operator;
      phase = 'unlocked';
      notify();
    },
    lock() {
      calls.push({ method: 'lock', args: [] });
      if (phase !== 'unlocked') return;
      phase = 'locked';
      lockedBy = current?.operatorId ?? null;
      current = null;
      notify();
    },
    async changePassphrase(input) {
      await enter('changePassphrase', [input]);
      if (current === null || current.passphrase !== input.current) throw new VaultError('E_WRONG_PASSPHRASE', 'Wrong passphrase.');
      current.passphrase = input.next;
    },
    autoLockMinutes: () => autoLock,
    async setAutoLockMinutes(minutes) {
      await enter('setAutoLockMinutes', [minutes]);
      autoLock = minutes;
    },
    noteActivity() {
      calls.push({ method: 'noteActivity', args: [] });
    },
    async autoUnlockAvailable() {
      await enter('autoUnlockAvailable', [], null);
      return keychainAvailable;
    },
    autoUnlockEnabled: () => current !== null && keychainOperator === current.operatorId,
    async setAutoUnlock(enabled) {
      await enter('setAutoUnlock', [enabled]);
      requireAdmin();
      if (enabled && !keychainAvailable) throw new VaultError('E_NODE', 'This host has no OS keychain.');
      keychainOperator = enabled ? current!.operatorId : null;
      notify();
    },

    async addOperator(input) {
      await enter('addOperator', [input]);
      requireAdmin();
      const operator: FakeOperator = { operatorId: `op-${nextOperator++}`, name: input.name, role: input.role, disabled: false, passphrase: input.passphrase };
      operators.push(operator);
      return summary(operator);
    },
    async setOperatorDisabled(operatorId, disabled) {
      await enter('setOperatorDisabled', [operatorId, disabled]);
      requireAdmin();
      const operator = operators.find((o) => o.operatorId === operatorId);
      if (operator !== undefined) operator.disabled = disabled;
    },
    async resetOperatorPassphrase(operatorId, passphrase) {
      await enter('resetOperatorPassphrase', [operatorId, passphrase]);
      requireAdmin();
      const operator = operators.find((o) => o.operatorId === operatorId);
      if (operator !== undefined) operator.passphrase = passphrase;
    },

    async importDemoData(count, onProgress) {
      await enter('importDemoData', [count]);
      const step = Math.max(1, Math.ceil(count / 4));
      for (let done = 0; done < count; done += step) {
        onProgress?.(done, count);
        await Promise.resolve();
      }
      for (let i = 0; i < count; i++) {
        const entry = makePatient(1000 + ++demoCounter, { name: { family: `Demo${demoCounter}`, given: ['Zoë'] } });
        patients.set(entry.patientId, entry);
      }
      onProgress?.(count, count);
      return { messages: count * 3, patients: count };
    },
    async sync(onProgress) {
      await enter('sync', []);
      const progress: SyncProgress = { applied: patients.size * 3, cursor: patients.size * 3, done: true };
      onProgress?.({ ...progress, done: false });
      return progress;
    },
    async rebuildIndex(onProgress) {
      await enter('rebuildIndex', []);
      const total = patients.size * 3;
      onProgress?.({ applied: Math.floor(total / 2), cursor: Math.floor(total / 2), done: false });
      await Promise.resolve();
      onProgress?.({ applied: total, cursor: total, done: true });
      return { applied: total, cursor: total, done: true };
    },
    async journalIssues() {
      await enter('journalIssues', []);
      if (current === null || !mayReadJournalIssues(current.role)) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator or an auditor may see this.');
      return { ...vault.journalIssueCounts };
    },
    async search(query): Promise<SearchResult> {
      await enter('search', [query]);
      if (query.trim() === '') return { patientIds: allIds(), tookMs: 1 };
      // As keyword-search.ts: every group must match (the whole word, or the name prefix of the
      // word still being typed); most whole-word matches first, then id.
      const groups = queryWordGroups(query);
      if (groups.length === 0) return { patientIds: [], tookMs: 1 };
      const scores = new Map<string, number>();
      const matchedStudies: Record<string, string[]> = {};
      for (const id of allIds()) {
        const entry = patients.get(id);
        // A patient's studies' descriptions and accession numbers are its words too (intake-rows.ts, tester T1 F9).
        const studies = (options.studies ?? []).filter((study) => study.patientId === id).map((study) => study.study);
        const { words, prefixes } = indexedWords(
          entry === undefined ? [bulkText(id)] : [patientText(entry.patient), ...entry.records.map((r) => recordText(r.record)), ...studies.map((study) => ({ other: [study.description, study.accessionNumber] }))],
          entry === undefined ? (bulkText(id).other ?? []) : [...entry.patient.identifiers.map((identifier) => identifier.value), ...studies.map((study) => study.accessionNumber)],
        );
        const whole = (group: (typeof groups)[number]) => group.words.some((word) => words.has(word));
        if (!groups.every((group) => whole(group) || group.prefixes.some((prefix) => prefixes.has(prefix)))) continue;
        scores.set(id, groups.filter(whole).length);
        // As keyword-search.ts searchPatientMatches: the studies holding a query word, most words first.
        const studyHits = (options.studies ?? [])
          .filter((entry) => entry.patientId === id)
          .map((entry) => {
            const own = indexedWords([{ other: [entry.study.description, entry.study.accessionNumber] }], [entry.study.accessionNumber]);
            return { studyId: entry.studyId, count: groups.filter((group) => group.words.some((word) => own.words.has(word)) || group.prefixes.some((prefix) => own.prefixes.has(prefix))).length };
          })
          .filter((entry) => entry.count > 0)
          .sort((a, b) => b.count - a.count || (a.studyId < b.studyId ? -1 : 1));
        if (studyHits.length > 0) matchedStudies[id] = studyHits.map((entry) => entry.studyId);
      }
      const ids = [...scores.keys()].sort((a, b) => scores.get(b)! - scores.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
      return { patientIds: ids, matchedStudies, tookMs: 3.4 };
    },
    async patientHits(patientIds) {
      await enter('patientHits', [patientIds]);
      return patientIds.flatMap((id) => {
        const entry = patients.get(id);
        if (entry !== undefined) return [hitOf(entry)];
        return id.startsWith('bulk-') ? [bulkHit(id)] : [];
      });
    },
    async openPatient(patientId): Promise<PatientDetail> {
      await enter('openPatient', [patientId]);
      const entry = patients.get(patientId);
      if (entry === undefined) throw new VaultError('E_NODE', 'No such patient.');
      return { patientId, patient: entry.patient, records: entry.records };
    },
    async openRecord(recordId) {
      await enter('openRecord', [recordId]);
      for (const entry of patients.values()) {
        const row = entry.records.find((r) => r.recordId === recordId);
        if (row !== undefined) return row;
      }
      throw new VaultError('E_NODE', 'No such record.');
    },
    async erasurePreview(patientId) {
      await enter('erasurePreview', [patientId]);
      requireAdmin();
      return vault.erasurePreviewAnswer;
    },

    async erasePatient(patientId) {
      await enter('erasePatient', [patientId]);
      requireAdmin();
      patients.delete(patientId);
      return { erasureRecordProblem: vault.erasureRecordProblem };
    },

    async quarantine() {
      await enter('quarantine', []);
      return [...vault.quarantineRows];
    },
    async openQuarantinedRaw(seq) {
      await enter('openQuarantinedRaw', [seq]);
      return rawOf(`q:${seq}`, seq);
    },
    async patientAllergies(patientId) {
      await enter('patientAllergies', [patientId]);
      const entry = patients.get(patientId);
      if (entry === undefined) throw new VaultError('E_NODE', 'No such patient.');
      return entry.records.filter((row) => row.record.type === 'allergy');
    },
    async patientResults(patientId) {
      await enter('patientResults', [patientId]);
      const entry = patients.get(patientId);
      if (entry === undefined) throw new VaultError('E_NODE', 'No such patient.');
      return entry.records.filter((row) => row.record.type === 'observation');
    },
    async openRecordRaw(recordId) {
      await enter('openRecordRaw', [recordId]);
      return rawOf(`r:${recordId}`, 1);
    },

    /** The real search's semantics on plaintext (message-reads.ts): a control id by its start in any case (whole under 3 characters), exact sender, types (a bare code: every trigger), status, [from, to), patient by id. */
    async messages(query) {
      await enter('messages', [query]);
      const limit = query.limit ?? 50;
      const types = (query.types ?? []).map((type) => type.toUpperCase().replace(/[_\- ]/g, '^'));
      const matches = vault.messageRows
        .filter(
          (m) =>
            (query.controlId === undefined || query.controlId.trim() === '' || (query.controlIdExact === true ? m.controlId === query.controlId.trim() : controlIdMatches(m.controlId, query.controlId))) &&
            (query.sender === undefined || query.sender === '' || m.sender === query.sender) &&
            (types.length === 0 || types.some((type) => m.messageType.startsWith(type.includes('^') ? type : `${type}^`) || m.messageType === type)) &&
            (query.status === undefined || m.status === query.status) &&
            (query.from === undefined || m.at >= query.from) &&
            (query.to === undefined || m.at < query.to) &&
            (query.patient === undefined || query.patient.trim() === '' || m.patientId === query.patient.trim()) &&
            (query.before === undefined || m.seq < query.before),
        )
        .sort((a, b) => b.seq - a.seq);
      const page: MessagePage = { messages: matches.slice(0, limit), more: matches.length > limit, total: query.before === undefined ? matches.length : null, tookMs: 1 };
      return page;
    },
    async messageFacets() {
      await enter('messageFacets', []);
      const senders = [...new Set(vault.messageRows.map((m) => m.sender).filter((x) => x !== ''))].sort();
      const types = [...new Set(vault.messageRows.map((m) => m.messageType.split('^').slice(0, 2).join('^')).filter((x) => x !== ''))].sort();
      return { senders, types };
    },
    async openMessage(seq) {
      await enter('openMessage', [seq]);
      const message = vault.messageRows.find((m) => m.seq === seq);
      if (message === undefined) throw new VaultError('E_NODE', `No message ${seq} in this vault (it may have been erased).`);
      const patient = patients.get(message.patientId);
      const settled = options.resolutions?.[seq];
      const copies = vault.messageRows
        .filter((m) => m.reprocessOf?.quarantineSeq === seq && m.kind === 'intake.hl7')
        .map((m) => ({ seq: m.seq, controlId: m.controlId, edited: m.reprocessOf!.edited, ...(options.reprocessedBy?.[m.seq] === undefined ? {} : { by: options.reprocessedBy[m.seq]! }) }));
      const reprocessedBy = options.reprocessedBy?.[seq];
      // The records it filed: the patient's rows whose source is this message.
      const records = patient === undefined ? [] : patient.records.filter((r) => r.source.seq === seq);
      return {
        message,
        patient: patient === undefined ? null : hitOf(patient),
        ...(settled === undefined ? {} : { resolution: { ...settled, copies } }),
        ...(reprocessedBy === undefined ? {} : { reprocessedBy }),
        ...(records.length === 0 ? {} : { records }),
      };
    },
    async openMessageRaw(seq) {
      await enter('openMessageRaw', [seq]);
      return rawOf(`m:${seq}`, seq);
    },

    async studies(query) {
      await enter('studies', query === undefined ? [] : [query]);
      // The stand-in for the blind-index search: every word in the entry's text (case-insensitive).
      const words = (query ?? '').toLowerCase().split(/\s+/).filter((word) => word !== '');
      return (options.studies ?? []).filter((entry) => {
        const text = [entry.patient?.name ?? '', entry.patient?.identifier ?? '', entry.study.accessionNumber, entry.study.description, entry.study.date, ...entry.modalities].join(' ').toLowerCase();
        return words.every((word) => text.includes(word));
      });
    },
    async deviceReports(query) {
      await enter('deviceReports', [query]);
      return deviceReportsNow().filter((r) => query?.systemId === undefined || r.device.systemId === query.systemId).slice(0, query?.limit ?? 50);
    },
    async patientDeviceReports(patientId) {
      await enter('patientDeviceReports', [patientId]);
      return deviceReportsNow()
        .filter((r) => r.approval === 'approved')
        .map((r) => ({ ...r, readings: r.readings.filter((_, i) => r.readingPatients[i] === patientId), readingPatients: r.readingPatients.filter((id) => id === patientId) }))
        .filter((r) => r.readings.length > 0)
        .sort((a, b) => a.seq - b.seq);
    },
    async journalDeviceDecision(input) {
      await enter('journalDeviceDecision', [input]);
    },
    async assignDeviceSession(session, patientId, personId) {
      await enter('assignDeviceSession', [session, patientId, personId]);
      if (!patients.has(patientId)) throw new VaultError('E_NODE', 'That patient is not in this vault’s views.');
      deviceAssignments.set(`${session}/${personId ?? ''}`, patientId);
      notify();
    },
    async patientStudies(patientId) {
      await enter('patientStudies', [patientId]);
      return (options.studies ?? []).filter((study) => study.patientId === patientId).map(({ patient: _patient, ...study }) => study);
    },
    async openStudy(studyId) {
      await enter('openStudy', [studyId]);
      const study = (options.viewerStudies ?? []).find((entry) => entry.studyId === studyId);
      if (study === undefined) throw new VaultError('E_NODE', 'This study is not in the vault (it may have been erased).');
      return study;
    },
    async instanceSource(instanceId) {
      await enter('instanceSource', [instanceId]);
      const bytes = options.instanceBytes?.[instanceId];
      if (bytes === undefined) throw new VaultError('E_NODE', 'Open the study before its images.');
      return bytes;
    },
    async documentSaved(instanceId, bytes, file) {
      await enter('documentSaved', [instanceId, bytes, file]);
    },

    async reprocessQuarantined(seq, options = {}) {
      await enter('reprocessQuarantined', [seq, options]);
      const entry = vault.quarantineRows.find((row) => row.seq === seq);
      if (entry === undefined) throw new VaultError('E_NODE', 'No such quarantined message.');
      vault.quarantineRows = vault.quarantineRows.map((row) => (row.seq === seq ? { ...row, status: 'reprocessed' as const } : row));
      if (entry.channel === 'dicom') return { resolved: true, results: [], dicom: { outcome: 'stored' as const, seq: 1000 + seq } };
      return { resolved: true, results: [{ file: 0, index: 0, messageType: entry.detail.messageType ?? '', controlId: entry.detail.messageId ?? '', ack: 'AA' as const }] };
    },
    async discardQuarantined(seq) {
      await enter('discardQuarantined', [seq]);
      vault.quarantineRows = vault.quarantineRows.map((row) => (row.seq === seq ? { ...row, status: 'discarded' as const } : row));
    },

    async exportBackup() {
      await enter('exportBackup', []);
      return { path: 'C:\\Backups\\hdms-2025-01-01.hdmsbak', bytes: 1_234_567 };
    },
    async restoreBackup(input) {
      await enter('restoreBackup', [input], null);
      if (phase !== 'absent') throw new VaultError('E_EXISTS', 'A vault exists already.');
      const secret = input.secret;
      if (!vault.restoreRegisterBeside && input.erasureRegister === undefined && input.withoutErasureRegister !== true) {
        throw new VaultError('E_NO_ERASURE_REGISTER', BACKUP_REFUSALS.noErasureRegister);
      }
      if ('recoveryKey' in secret && secret.recoveryKey !== recoveryKey) throw new VaultError('E_BACKUP', 'The backup does not open with that recovery key.');
      if (vault.restoreLabelAltered !== null && input.acceptAlteredLabel !== true) throw new VaultError('E_BACKUP_LABEL_ALTERED', vault.restoreLabelAltered);
      const admin: FakeOperator = { operatorId: `op-${nextOperator++}`, name: input.operatorName ?? 'Restored Admin', role: 'admin', disabled: false, passphrase: 'passphrase' in secret ? secret.passphrase : ADMIN_PASSPHRASE };
      operators.push(admin);
      current = admin;
      phase = 'unlocked';
      recoveryKey = TEST_RECOVERY_KEY;
      notify();
      return {
        records: 10,
        erasuresReapplied: vault.restoreErasuresReapplied,
        erasureRegister: input.erasureRegister !== undefined ? 'chosen' : vault.restoreRegisterBeside ? 'beside' : 'none',
        backupCreatedAt: vault.restoreBackupCreatedAt,
        ledgerSeq: vault.restoreLedgerSeq,
      };
    },
  };
  return vault;
}
