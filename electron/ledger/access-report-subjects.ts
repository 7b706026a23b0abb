import { readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { syncDir, writeFileAtomic } from '../storage/durable-files';

/**
 * Which patients an access report the app wrote into `<data>/exports/` names, so that erasing a
 * patient also removes the reports that name them (GDPR Art. 17, security audit issue 11). The body
 * cannot read a report's names (and must not parse them): the mind says, with the report, the
 * ledger subjects of its rows, the same pseudonyms the signed ledger entries carry (HMAC under the
 * vault's ledger key; no name, no identifier). They are kept beside the report in a hidden file,
 * `.<report>.subjects.json` (mode 0600), written durably right after the report, and removed with it.
 *
 * Reports written before this was kept, and copies saved elsewhere (a save dialog, a printed PDF),
 * are not known here.
 */

/** A ledger subject: bytes32 as 0x + 64 lowercase hex digits. */
export const LEDGER_SUBJECT = /^0x[0-9a-f]{64}$/;
/** A report file the body names (export-files.ts): `access-report-<UTC>[-<scope>][-n].csv` (the scope: ACCESS_REPORT_SCOPE). */
const REPORT_NAME = /^access-report-\d{8}T\d{6}Z(?:-[0-9a-z-]+)?\.csv$/;
const SIDECAR = /^\.(access-report-\d{8}T\d{6}Z(?:-[0-9a-z-]+)?\.csv)\.subjects\.json$/;

export function subjectsFileOf(dir: string, report: string): string {
  return path.join(dir, `.${report}.subjects.json`);
}

/** The subjects as kept: each once, ledger subjects only, sorted (what the file beside the report and the export's audit record list). */
export function namedSubjects(subjects: readonly string[]): string[] {
  return [...new Set(subjects)].filter((subject) => LEDGER_SUBJECT.test(subject)).sort();
}

/** Records the subjects an access report names (`report`: its file name in `dir`). */
export async function writeReportSubjects(dir: string, report: string, subjects: readonly string[]): Promise<void> {
  if (!REPORT_NAME.test(report)) throw new Error('Not an access report file name.');
  await writeFileAtomic(subjectsFileOf(dir, report), `${JSON.stringify({ v: 1, subjects: namedSubjects(subjects) })}\n`);
}

/**
 * The access reports in `dir` that name any of `subjects` (file names), read one record at a time.
 * A record whose report is gone (deleted by hand) is left out; a damaged one names no one.
 */
export async function reportsNaming(dir: string, subjects: ReadonlySet<string>): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const present = new Set(names);
  const found: string[] = [];
  for (const name of names) {
    const report = SIDECAR.exec(name)?.[1];
    if (report === undefined || !present.has(report)) continue;
    let listed: unknown;
    try {
      listed = (JSON.parse(await readFile(path.join(dir, name), 'utf8')) as { subjects?: unknown }).subjects;
    } catch {
      continue;
    }
    if (Array.isArray(listed) && listed.some((subject) => typeof subject === 'string' && subjects.has(subject))) found.push(report);
  }
  return found.sort();
}

/** Deletes the access reports that name any of `subjects`, with their subject records. Returns how many reports were deleted. */
export async function removeReportsNaming(dir: string, subjects: ReadonlySet<string>): Promise<number> {
  if (subjects.size === 0) return 0;
  const reports = await reportsNaming(dir, subjects);
  let removed = 0;
  for (const report of reports) {
    try {
      await unlink(path.join(dir, report));
      removed++;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await unlink(subjectsFileOf(dir, report)).catch(() => undefined);
  }
  if (reports.length > 0) await syncDir(dir);
  return removed;
}
