import { readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeReportsNaming, reportsNaming, subjectsFileOf, writeReportSubjects } from '../../../electron/ledger/access-report-subjects';
import { useTempDirs } from '../../support/temp-dir';

const subject = (digit: string): string => `0x${digit.repeat(64)}`;
const A = subject('a');
const B = subject('b');
const C = subject('c');

describe('access reports: whom each names (ledger subjects), for erasure', () => {
  const tempDir = useTempDirs();

  async function report(dir: string, name: string, subjects: string[]): Promise<void> {
    await writeFile(path.join(dir, name), 'time_utc,operator\r\n', { mode: 0o600 });
    await writeReportSubjects(dir, name, subjects);
  }

  it('keeps the subjects beside the report (0600, pseudonyms only), finds the reports naming a subject, and removes them with their records', async () => {
    const dir = await tempDir();
    await report(dir, 'access-report-20261206T100000Z.csv', [A, B, A]);
    await report(dir, 'access-report-20261206T100000Z-1.csv', [B]);
    await report(dir, 'access-report-20261206T110000Z.csv', []);
    const record = subjectsFileOf(dir, 'access-report-20261206T100000Z.csv');
    expect(JSON.parse(await readFile(record, 'utf8'))).toEqual({ v: 1, subjects: [A, B] });
    expect((await stat(record)).mode & 0o777).toBe(0o600);

    expect(await reportsNaming(dir, new Set([A]))).toEqual(['access-report-20261206T100000Z.csv']);
    expect(await reportsNaming(dir, new Set([B]))).toEqual(['access-report-20261206T100000Z-1.csv', 'access-report-20261206T100000Z.csv']);
    expect(await reportsNaming(dir, new Set([C]))).toEqual([]);

    expect(await removeReportsNaming(dir, new Set([A]))).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([
      '.access-report-20261206T100000Z-1.csv.subjects.json',
      '.access-report-20261206T110000Z.csv.subjects.json',
      'access-report-20261206T100000Z-1.csv',
      'access-report-20261206T110000Z.csv',
    ]);
    expect(await removeReportsNaming(dir, new Set([A]))).toBe(0);
    expect(await removeReportsNaming(dir, new Set())).toBe(0);
  });

  it('drops anything that is not a ledger subject, refuses a name that is not a report, and reads a damaged record or one whose report is gone as naming no one', async () => {
    const dir = await tempDir();
    await report(dir, 'access-report-20261206T100000Z.csv', [A, 'Dvořák, Anežka', '0xABC']);
    expect(JSON.parse(await readFile(subjectsFileOf(dir, 'access-report-20261206T100000Z.csv'), 'utf8'))).toEqual({ v: 1, subjects: [A] });
    await expect(writeReportSubjects(dir, '../ledger.jsonl', [A])).rejects.toThrow(/Not an access report/);

    await report(dir, 'access-report-20261206T120000Z.csv', [A]);
    await writeFile(subjectsFileOf(dir, 'access-report-20261206T120000Z.csv'), '{"v":1,"subj');
    await report(dir, 'access-report-20261206T130000Z.csv', [A]);
    await unlink(path.join(dir, 'access-report-20261206T130000Z.csv'));
    expect(await reportsNaming(dir, new Set([A]))).toEqual(['access-report-20261206T100000Z.csv']);
    expect(await reportsNaming(path.join(dir, 'missing'), new Set([A]))).toEqual([]);
  });
});
