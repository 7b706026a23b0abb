import { LEDGER_EXPORT_CHUNK_CHARS } from '../../shared/ipc/ledger-contract';
import { ledgerExportRefusal, mayExportLedger } from '../../shared/ipc/method-access';
import { exportHeader, exportLine } from '../../shared/ledger/ledger-export-format';
import { EntryHasher, LEDGER_ENTRY_KINDS, LedgerEntrySchema, type LedgerEntryKind } from '../../shared/ledger/ledger-schema';
import { nodeInfoDocument, nodeInfoTypes, type NodeInfo } from '../../shared/ledger/node-info';
import { asVaultError } from '../vault/vault-errors';
import { VaultError } from '../vault/vault-service';
import { bytes32ToPseudonym, patientSubject } from './ledger-details';
import { LEDGER_EVENT_KINDS } from './ledger-events';
import type { HdmsApi } from '../../shared/ipc/contract';
import type { LedgerReader } from './ledger-reader';
import { accessReportCsv, accessReportScope, actTime, buildAccessReport, patientAccessList, reportSubjects, type AccessReport, type AccessReportFilter } from './access-report';
import { recheckNotary, type NotaryRecheck } from './notary-recheck';
import { INSTITUTION_META_KEY, InstitutionMetaSchema, type LedgerRow } from './ledger-rows';
import {
  LEDGER_KINDS,
  type AccessReportQuery,
  type LedgerEntryView,
  type LedgerFilter,
  type LedgerKind,
  type LedgerService,
  type LedgerVerification,
  type NodeIdentity,
} from './ledger-service';
import type { SessionLedger } from './session-ledger';
import { withOpenedStudies } from './study-accesses';
import { subjectsMatching } from './subject-query';
import { rangeEnd, rangeStart } from './local-days';

/**
 * The LedgerService the UI programs against (ledger-service.ts), over the current session's
 * SessionLedger. One per vault service (`vault.ledger`); every method needs an unlocked vault
 * (VaultError E_LOCKED otherwise), like the vault's own.
 */

// The UI's kind list and the schema's are the same list (a compile error here otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameKinds: Same<LedgerKind, LedgerEntryKind> = true;
void _sameKinds;
void LEDGER_KINDS;
void LEDGER_ENTRY_KINDS;

/** Additive to LedgerService (ledger-service.ts): what the UI may also use. */
export interface LedgerServiceExtras {
  /** Checks an entry's notarization again on this computer (receipt, checkpoint, inclusion proof). */
  recheckNotary(seq: number): Promise<NotaryRecheck>;
  /** Called when entries are added or a verification finishes; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Signs everything pending now (an open intake batch included) and waits until the view shows it. */
  flush(): Promise<void>;
  /** The writer's last failure (e.g. "The last ledger entry (12) is malformed…"), or null. */
  writerProblem(): string | null;
}

export type FullLedgerService = LedgerService & LedgerServiceExtras;

export interface LedgerServiceHost {
  /** The open clinical session's ledger, or null (locked, or a restricted session). */
  current(): SessionLedger | null;
  /** The open researcher's or auditor's session's read-only ledger, or null. */
  restricted(): Promise<LedgerReader | null>;
  /** The restricted ledger if it was opened already (for the synchronous lastVerification). */
  restrictedNow?(): LedgerReader | null;
  readonly appVersion: () => Promise<string>;
  /** Writes an access report's CSV through the body (any signed-in role); absent where the host cannot. */
  readonly writeAccessReport?: (input: { readonly text: string; readonly rows: number; readonly subjects?: readonly string[]; readonly scope?: string }) => Promise<{ readonly path: string; readonly bytes: number; readonly text: string }>;
  /** The body's export calls, for a session without the node's signing key (an auditor's export of the ledger). */
  readonly exportFiles?: ExportCalls;
  /** The restricted session's role, or null (none, or a clinical session). */
  restrictedRole?(): 'researcher' | 'auditor' | null;
}

/** The body's chunked export calls (ledger.exportBegin/Append/Finish/Abort). */
export type ExportCalls = Pick<HdmsApi['ledger'], 'exportBegin' | 'exportAppend' | 'exportFinish' | 'exportAbort'>;

const locked = (): VaultError => new VaultError('E_LOCKED', 'The vault is locked: unlock it first.');

function basename(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

export function createLedgerService(host: LedgerServiceHost, listeners: Set<() => void>): FullLedgerService {
  const hashers = new WeakMap<LedgerReader, EntryHasher>();

  /** The reading side of whichever session is open (restricted roles included). */
  async function reader(): Promise<LedgerReader> {
    const ledger = host.current() ?? (await host.restricted());
    if (ledger === null) throw locked();
    return ledger;
  }

  /** A write: only a session that holds the node's identity key (the master's) can sign. */
  function requireWriter(): SessionLedger {
    const ledger = host.current();
    if (ledger !== null) return ledger;
    if (host.restrictedNow?.() === null && host.restrictedNow !== undefined) throw locked();
    throw new VaultError('E_NOT_ALLOWED', 'Your role reads the ledger but does not write to it: its key slot holds no signing key of the node.');
  }

  /**
   * A report in the words of the patient's "Who accessed this record": the study each study opening
   * was, where this session can resolve it (a clinical one; a researcher's or an auditor's opens no
   * journal or study view, so their rows keep the signed words).
   */
  async function withStudies(ledger: LedgerReader, report: AccessReport): Promise<AccessReport> {
    const session = host.current();
    return session !== null && session === ledger ? withOpenedStudies(session, report) : report;
  }

  function requireAdmin(): SessionLedger {
    const ledger = requireWriter();
    if (!ledger.port.isAdmin()) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator may do this.');
    return ledger;
  }

  function viewOf(ledger: LedgerReader, row: LedgerRow, names: Readonly<Record<string, string>> = {}): LedgerEntryView {
    let hasher = hashers.get(ledger);
    if (hasher === undefined) {
      hasher = new EntryHasher(ledger.domain);
      hashers.set(ledger, hasher);
    }
    const strict = LedgerEntrySchema.safeParse(row.entry);
    const raw = (row.entry ?? {}) as Record<string, unknown>;
    const kind = (LEDGER_KINDS as readonly string[]).includes(row.kind) ? (row.kind as LedgerKind) : 'ACCESS';
    return {
      seq: row.seq,
      kind,
      subject: typeof raw['subject'] === 'string' && bytes32ToPseudonym(raw['subject']) !== '' ? raw['subject'] : '',
      operator: bytes32ToPseudonym(raw['operator']),
      createdAt: new Date(row.createdAt).toISOString(),
      prevHash: typeof raw['prevHash'] === 'string' ? raw['prevHash'] : '',
      payloadHash: typeof raw['payloadHash'] === 'string' ? raw['payloadHash'] : '',
      inputs: Array.isArray(raw['inputs']) ? raw['inputs'].filter((x): x is string => typeof x === 'string') : [],
      entryHash: strict.success ? hasher.hash(strict.data) : '',
      signature: typeof row.signature === 'string' ? row.signature : '',
      signer: typeof raw['node'] === 'string' ? raw['node'] : '',
      summary: row.summary,
      ...(names[row.subject] === undefined ? {} : { subjectName: names[row.subject] }),
      ...(row.notary === undefined ? {} : { notary: { leafIndex: row.notary.leafIndex, treeSize: row.notary.treeSize, integratedAt: new Date(row.notary.integratedAt).toISOString() } }),
    };
  }

  async function institution(ledger: LedgerReader): Promise<{ name: string; role: 'clinic' | 'research' }> {
    const row = await ledger.db().meta.get(INSTITUTION_META_KEY);
    const parsed = InstitutionMetaSchema.safeParse(row?.value);
    return parsed.success ? { name: parsed.data.name, role: parsed.data.role } : { name: '', role: 'clinic' };
  }

  /** Writes the pieces as one export file; answers where, and the chunks sent (the body writes them as they came: the file's text). */
  async function writeExport(api: ExportCalls, kind: 'ledger' | 'nodeInfo', pieces: AsyncIterable<string> | Iterable<string>): Promise<{ path: string; bytes: number; parts: string[] }> {
    const { handle } = await api.exportBegin({ kind });
    try {
      const parts: string[] = [];
      let buffer = '';
      for await (const piece of pieces) {
        buffer += piece;
        if (buffer.length >= LEDGER_EXPORT_CHUNK_CHARS / 4) {
          await api.exportAppend({ handle, text: buffer });
          parts.push(buffer);
          buffer = '';
        }
      }
      if (buffer.length > 0) {
        await api.exportAppend({ handle, text: buffer });
        parts.push(buffer);
      }
      return { ...(await api.exportFinish({ handle })), parts };
    } catch (error) {
      await api.exportAbort({ handle }).catch(() => undefined);
      throw error;
    }
  }

  /** The report's filter from the UI's query: a patient's subject, a name or pseudonym, an operator, dates. */
  async function reportFilter(ledger: LedgerReader, query: AccessReportQuery): Promise<AccessReportFilter> {
    const subjects = new Set<string>();
    let bySubject = false;
    if (query.patientId !== undefined && query.patientId !== '') {
      const writer = host.current();
      if (writer === null) throw new VaultError('E_NOT_ALLOWED', 'Your role does not open patients; choose the patient by name in the subject field.');
      subjects.add(await patientSubject(writer.port.ledgerKey, query.patientId));
      bySubject = true;
    }
    const text = query.subject?.trim() ?? '';
    if (text !== '') {
      const named = await subjectsMatching(ledger, text);
      if (bySubject) {
        for (const subject of [...subjects]) if (!named.has(subject)) subjects.delete(subject);
      } else for (const subject of named) subjects.add(subject);
      bySubject = true;
    }
    // Local calendar days, as the report shows its times (local-days.ts).
    const from = query.from === undefined || query.from === '' ? Number.NaN : rangeStart(query.from);
    const to = query.to === undefined || query.to === '' ? Number.NaN : rangeEnd(query.to);
    return {
      ...(bySubject ? { subjects } : {}),
      ...(query.operator === undefined || query.operator === '' ? {} : { operator: query.operator }),
      ...(Number.isNaN(from) ? {} : { from }),
      ...(Number.isNaN(to) ? {} : { to }),
    };
  }

  const service: FullLedgerService = {
    async identity(): Promise<NodeIdentity> {
      const ledger = await reader();
      const [{ name, role }, appVersion] = await Promise.all([institution(ledger), host.appVersion()]);
      return { address: ledger.address, intakePublicKey: ledger.intakePublicKey, institutionName: name, institutionRole: role, appVersion, chainId: ledger.domain.chainId };
    },

    async setInstitution(input) {
      const ledger = requireAdmin();
      const name = input.name.trim();
      if (name === '' || name.length > 200) throw new VaultError('E_NOT_ALLOWED', 'The institution name is 1 to 200 characters.');
      if (input.role !== 'clinic' && input.role !== 'research') throw new VaultError('E_NOT_ALLOWED', 'The role is clinic or research.');
      try {
        await ledger.port.appendEvent(LEDGER_EVENT_KINDS.institution, { v: 1, name, role: input.role });
        await ledger.port.sync();
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async exportNodeInfo() {
      // Any operator who can sign: the document holds only public facts about the node.
      const ledger = requireWriter();
      try {
        const { name, role } = await institution(ledger);
        const nodeInfo: NodeInfo = {
          node: ledger.address,
          intakePublicKey: ledger.port.intakePublicKey,
          institutionName: name,
          role,
          appVersion: await host.appVersion(),
          issuedAt: Date.now(),
        };
        const signature = await ledger.wallet.signTypedData({ ...ledger.domain }, nodeInfoTypes(), { ...nodeInfo });
        const text = `${JSON.stringify(nodeInfoDocument(ledger.domain, nodeInfo, signature), null, 2)}\n`;
        const written = await writeExport(ledger.port.api.ledger, 'nodeInfo', [text]);
        await ledger.port.appendEvent(LEDGER_EVENT_KINDS.nodeInfoExported, { v: 1, bytes: written.bytes, file: basename(written.path) });
        ledger.port.requestSync();
        return { path: written.path, file: { name: basename(written.path), type: 'application/json', parts: written.parts } };
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async entries(filter: LedgerFilter, page) {
      const ledger = await reader();
      const kinds = filter.kinds === undefined || filter.kinds.length === 0 ? null : new Set<string>(filter.kinds);
      // Local calendar days (local-days.ts), against when the act happened: what the Time column shows.
      const fromAt = filter.from === undefined || filter.from === '' ? Number.NaN : rangeStart(filter.from);
      const toAt = filter.to === undefined || filter.to === '' ? Number.NaN : rangeEnd(filter.to);
      const from = Number.isNaN(fromAt) ? null : fromAt;
      const to = Number.isNaN(toAt) ? null : toAt;
      const operator = filter.operator === undefined || filter.operator === '' ? null : filter.operator;
      const subjectText = filter.subject === undefined ? '' : filter.subject.trim();
      // A pseudonym as an entry shows it (or its start), or the start of a patient's name (the subject directory).
      const subject = subjectText === '' ? null : await subjectsMatching(ledger, subjectText);
      try {
        const rows = await ledger
          .db()
          .ledger.where(':id')
          .below(page.beforeSeq ?? Number.MAX_SAFE_INTEGER)
          .reverse()
          .filter(
            (row) =>
              (kinds === null || kinds.has(row.kind)) &&
              (from === null || actTime(row) >= from) &&
              (to === null || actTime(row) <= to) &&
              (operator === null || bytes32ToPseudonym(row.operator) === operator) &&
              (subject === null || subject.has(row.subject)),
          )
          .limit(Math.max(1, Math.min(page.limit, 1000)))
          .toArray();
        const names = await ledger.subjectNames(rows.map((row) => row.subject).filter((id) => bytes32ToPseudonym(id) !== ''));
        return rows.map((row) => viewOf(ledger, row, names));
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async entry(seq) {
      const ledger = await reader();
      const row = await ledger.db().ledger.get(seq);
      if (row === undefined) return null;
      return viewOf(ledger, row, bytes32ToPseudonym(row.subject) === '' ? {} : await ledger.subjectNames([row.subject]));
    },

    async accessesOf(patientId) {
      const ledger = requireWriter();
      try {
        const subject = await patientSubject(ledger.port.ledgerKey, patientId);
        const { rows } = await withOpenedStudies(ledger, await buildAccessReport(ledger, { subjects: new Set([subject]) }));
        return patientAccessList(rows);
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async accessReport(query) {
      const ledger = await reader();
      try {
        return await withStudies(ledger, await buildAccessReport(ledger, await reportFilter(ledger, query)));
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async exportAccessReport(query) {
      const ledger = await reader();
      if (host.writeAccessReport === undefined) throw new VaultError('E_NODE', 'This window cannot write files.');
      try {
        // What is journaled but not yet signed is signed first, when this session can sign.
        await host.current()?.flush();
        const filter = await reportFilter(ledger, query);
        const report = await withStudies(ledger, await buildAccessReport(ledger, filter));
        // Whom the file names (ledger pseudonyms), kept beside it by the body: erasing one of them removes it.
        const subjects = reportSubjects(report.rows, filter);
        const scope = accessReportScope(filter, query);
        const written = await host.writeAccessReport({ text: accessReportCsv(report.rows), rows: report.rows.length, ...(subjects.length > 0 ? { subjects } : {}), ...(scope === '' ? {} : { scope }) });
        host.current()?.port.requestSync();
        return { path: written.path, rows: report.rows.length, file: { name: basename(written.path), type: 'text/csv', parts: [written.text] } };
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async verify(): Promise<LedgerVerification> {
      const ledger = await reader();
      try {
        return await ledger.verify();
      } catch (error) {
        throw asVaultError(error);
      }
    },

    lastVerification: () => host.current()?.last ?? host.restrictedNow?.()?.last ?? null,

    async exportLedger() {
      const writer = host.current();
      // Refused here as the body refuses it (ledger-feature.ts, the same list), before anything is read or begun.
      const restricted = writer === null ? (host.restrictedRole?.() ?? null) : null;
      if (restricted !== null && !mayExportLedger(restricted)) throw new VaultError('E_NOT_ALLOWED', ledgerExportRefusal(restricted));
      // An auditor's session signs nothing: it exports the entries it reads (hashes, pseudonyms and
      // signatures, nothing more than the ledger view shows it), and the body journals the export
      // under the auditor. A clinical session signs everything pending first and its own entry after.
      const ledger: LedgerReader = writer ?? (await reader());
      const calls = writer?.port.api.ledger ?? host.exportFiles;
      if (calls === undefined) throw new VaultError('E_NODE', 'This window cannot write files.');
      try {
        if (writer !== null) await writer.flush();
        const db = writer?.port.db() ?? ledger.db();
        const count = await db.ledger.count();
        async function* lines() {
          yield `${JSON.stringify(exportHeader(ledger.domain, ledger.address, count, new Date()))}\n`;
          let after = 0;
          let written = 0;
          while (written < count) {
            const page = await db.ledger.where(':id').above(after).limit(1000).toArray();
            if (page.length === 0) break;
            for (const row of page.slice(0, count - written)) yield `${exportLine({ entry: row.entry, signature: row.signature })}\n`;
            written += page.length;
            after = page.at(-1)!.seq;
          }
        }
        const written = await writeExport(calls, 'ledger', lines());
        if (writer !== null) {
          await writer.port.appendEvent(LEDGER_EVENT_KINDS.ledgerExported, { v: 1, bytes: written.bytes, entries: count, file: basename(written.path) });
          writer.port.requestSync();
        }
        return { path: written.path, entries: count, file: { name: basename(written.path), type: 'application/x-ndjson', parts: written.parts } };
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async operatorNames() {
      return (await reader()).operatorNames();
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    async flush() {
      const ledger = requireWriter();
      try {
        await ledger.flush();
      } catch (error) {
        throw asVaultError(error);
      }
    },

    writerProblem: () => host.current()?.writerProblem ?? null,

    async recheckNotary(seq) {
      const ledger = requireWriter();
      try {
        return await recheckNotary(ledger, seq);
      } catch (error) {
        throw asVaultError(error);
      }
    },
  };
  return service;
}
