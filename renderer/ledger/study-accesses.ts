import { LedgerRecordMetaSchema } from '../../shared/journal/ledger-meta';
import { openJson } from '../../shared/journal/sealed-json';
import { studiesWithIds, type StudySummary } from '../vault/views/imaging-reads';
import type { AccessReport, AccessReportRow } from './access-report';
import type { SessionLedger } from './session-ledger';

/**
 * Which imaging study an ACCESS entry's "Opened an imaging study" was (H6 finding 4: two studies of
 * one patient read alike). The signed entry and the summary the views keep name no study; the
 * study's view id is in the entry's sealed details (its `recordId`), so it is resolved on this
 * computer, from that record and the study view, as patient names are, and is never written to
 * the ledger. The patient's "Who accessed this record", the Ledger's access report (on screen and
 * printed) and its CSV say the same words (issue 11); the verifier reads them back as ACCESS.
 */

/** The study as a row names it: date, modalities, description (those it has). */
export function studyWords(study: Pick<StudySummary, 'study' | 'modalities'>): string {
  return [study.study.date, study.modalities.join('/'), study.study.description.trim()].filter((part) => part !== '').join(', ');
}

/**
 * For the rows that opened an imaging study: entry seq → the study's words. A study no longer in
 * the views (erased) or a record that cannot be read leaves its row as it was.
 */
export async function openedStudyWords(ledger: SessionLedger, rows: readonly Pick<AccessReportRow, 'seq' | 'kind'>[]): Promise<Map<number, string>> {
  const port = ledger.port;
  const studyOf = new Map<number, string>();
  // One read for the ledger rows of every opening (a whole trail's report may list thousands); the
  // journal is read for study openings only.
  const accesses = [...new Set(rows.filter((row) => row.kind === 'ACCESS').map((row) => row.seq))];
  for (const stored of await port.db().ledger.bulkGet(accesses)) {
    if (stored?.summary['opened'] !== 'imaging study') continue;
    const { records } = await port.api.journal.read({ after: stored.journalSeq - 1, limit: 1 });
    const record = records[0];
    if (record === undefined || record.seq !== stored.journalSeq || record.meta === null) continue;
    const meta = LedgerRecordMetaSchema.safeParse(await openJson(port.opener, record.meta));
    const studyId = meta.success ? meta.data.details['recordId'] : undefined;
    if (typeof studyId === 'string' && studyId !== '') studyOf.set(stored.seq, studyId);
  }
  const words = new Map<number, string>();
  if (studyOf.size === 0) return words;
  const studies = new Map((await studiesWithIds(port.db(), port.viewKey, [...new Set(studyOf.values())])).map((study) => [study.studyId, studyWords(study)]));
  for (const [seq, studyId] of studyOf) {
    const found = studies.get(studyId);
    if (found !== undefined && found !== '') words.set(seq, found);
  }
  return words;
}

/** The rows with the study each opened added to their action: "Opened an imaging study (2026-01-14, CT, CT HEAD)". */
export function withStudyWords<T extends { readonly seq: number; readonly action: string }>(rows: readonly T[], words: ReadonlyMap<number, string>): T[] {
  return rows.map((row) => {
    const study = words.get(row.seq);
    return study === undefined ? row : { ...row, action: `${row.action} (${study})` };
  });
}

/** A report with the study each study opening was in its rows' words (those this session can resolve). */
export async function withOpenedStudies(ledger: SessionLedger, report: AccessReport): Promise<AccessReport> {
  const words = await openedStudyWords(ledger, report.rows);
  return words.size === 0 ? report : { ...report, rows: withStudyWords(report.rows, words) };
}
