import { createHash } from 'node:crypto';
import { copyFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { namedSubjects, writeReportSubjects } from './access-report-subjects';
import { AuditJournal } from '../audit/audit-journal';
import { AccessRefusal } from '../auth/operator-sessions';
import { bodyFeature } from '../features/body-feature';
import type { BodyServices } from '../features/body-services';
import { ExportFiles, ExportRefusal } from './export-files';
import { pathExists } from '../storage/durable-files';
import { accessReportExportRefusal, ledgerExportRefusal, mayExportAccessReport, mayExportLedger, roleInWords } from '../../shared/ipc/method-access';
import { accessReportFileText } from './csv-formulas';
import type { OperatorRoleName } from '../../shared/ipc/vault-contract';

/** Sessions whose key slot holds the node's signing key (they sign their own export entries). */
const CLINICAL: ReadonlySet<OperatorRoleName> = new Set(['admin', 'clinician']);

/** `ledger.*`: appending the mind's signed entries, and writing ledger exports to disk. */
export function ledgerFeature({ config, log, vault, sessions }: BodyServices) {
  /** An export's tag: who began it, when the body journals it (a session that signs no ledger entry: an auditor's). */
  const exportFiles = new ExportFiles<{ readonly operatorId: string; readonly role: OperatorRoleName }>(config.dataDir);
  const audit = new AuditJournal(vault, log, config.host);
  // An export abandoned by its connection (closed, or its session ended) is aborted, not left for the idle timeout.
  sessions.onConnectionEnd((connectionId) => void exportFiles.abortOwnedBy(connectionId));
  return bodyFeature<'ledger'>({
    name: 'ledger',
    handlers: {
      'ledger.append': async ({ ledgerSeq, meta, signed }) => {
        const open = await vault.require();
        const { seq } = await open.ledger.append({ ledgerSeq, meta, signed });
        open.onDurable(seq);
        return { seq };
      },
      'ledger.publish': async ({ entries }) => (await vault.require()).ledger.publish(entries),
      'ledger.outboxStatus': async () => (await vault.require()).ledger.status(),
      'ledger.exportBegin': async ({ kind }, context) => {
        const session = sessions.get(context.connectionId);
        if (session === null) throw new AccessRefusal('E_FORBIDDEN', 'The vault is locked: unlock it to do this.');
        if (kind === 'nodeInfo' && !CLINICAL.has(session.role)) {
          throw new AccessRefusal('E_FORBIDDEN', `The node info is signed with the node's key, which ${roleInWords(session.role)}'s key slot does not hold: an administrator or a clinician exports it.`);
        }
        if (kind === 'ledger' && !mayExportLedger(session.role)) {
          throw new AccessRefusal('E_FORBIDDEN', ledgerExportRefusal(session.role));
        }
        // A clinical session signs its own ledger entry for the export; an auditor's is journaled here at
        // finish. The tag lives in the open export, so an abandoned one (aborted, timed out) leaves nothing behind.
        return exportFiles.begin(kind, CLINICAL.has(session.role) ? undefined : { operatorId: session.operatorId, role: session.role }, context.connectionId);
      },
      'ledger.exportAppend': ({ handle, text }) => exportFiles.append(handle, text),
      'ledger.exportFinish': async ({ handle }) => {
        const { tag: pending, lines, ...written } = await exportFiles.finish(handle);
        // Journaled after the file is durable: an export the trail names exists. Entries: the lines after the header.
        if (pending !== undefined) {
          await audit.exported({ what: 'ledger', operatorId: pending.operatorId, role: pending.role, bytes: written.bytes, entries: Math.max(0, lines - 1), file: path.basename(written.path) });
        }
        log.info({ bytes: written.bytes }, 'export written');
        return written;
      },
      'ledger.exportAbort': ({ handle }) => exportFiles.abort(handle),
      'ledger.saveExportAs': async ({ file }, context) => {
        const session = sessions.get(context.connectionId);
        if (session === null) throw new AccessRefusal('E_FORBIDDEN', 'The vault is locked: unlock it to do this.');
        // Those who may write the kind may save a copy of it (the node info is public).
        if (file.startsWith('access-report-') && !mayExportAccessReport(session.role)) throw new AccessRefusal('E_FORBIDDEN', accessReportExportRefusal(session.role));
        if (file.startsWith('ledger-') && !mayExportLedger(session.role)) throw new AccessRefusal('E_FORBIDDEN', ledgerExportRefusal(session.role));
        const dialogs = config.exportDialogs;
        if (dialogs === undefined) throw new ExportRefusal('E_UNAVAILABLE', 'This host has no save dialog (the browser shell): the page downloads the file.');
        const gone = 'The export is no longer in the exports folder (deleted, or removed with an erasure): export it again.';
        // Said before the user picks a place for it.
        if (!(await pathExists(path.join(exportFiles.dir, file)))) throw new ExportRefusal('E_CONFLICT', gone);
        const chosen = await dialogs.chooseSaveFile(file);
        if (chosen === null) return { path: null };
        try {
          await copyFile(path.join(exportFiles.dir, file), chosen);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          // The error's code only: the paths may name the user's folders.
          log.warn({ code }, 'export copy could not be saved');
          throw new ExportRefusal('E_UNAVAILABLE', code === 'ENOENT' ? gone : `The copy could not be saved there (${code ?? 'error'}): choose another place.`);
        }
        return { path: chosen };
      },
      'ledger.exportAccessReport': async ({ text, rows, subjects, scope }, context) => {
        const session = sessions.get(context.connectionId);
        if (session === null) throw new AccessRefusal('E_FORBIDDEN', 'The vault is locked: unlock it to do this.');
        if (!mayExportAccessReport(session.role)) throw new AccessRefusal('E_FORBIDDEN', accessReportExportRefusal(session.role));
        // The client composed the text: every cell a spreadsheet would run as a formula is prefixed here (README),
        // and the file starts with a UTF-8 byte-order mark, for spreadsheets.
        const safe = accessReportFileText(text);
        const { handle } = await exportFiles.begin('accessReport', undefined, undefined, scope ?? '');
        let written: { path: string; bytes: number };
        try {
          await exportFiles.append(handle, safe);
          const { path: file, bytes } = await exportFiles.finish(handle);
          written = { path: file, bytes };
        } catch (error) {
          await exportFiles.abort(handle).catch(() => undefined);
          throw error;
        }
        // Whom it names (ledger pseudonyms), so that an erasure of one of them removes it; a report
        // whose record cannot be written is not left behind unknown.
        try {
          await writeReportSubjects(exportFiles.dir, path.basename(written.path), subjects ?? []);
        } catch (error) {
          await unlink(written.path).catch(() => undefined);
          throw error;
        }
        // Journaled after the file is durable: an export the trail names exists. With whom it names, so
        // that each of them sees it under "Who accessed this record" (the views index them).
        const named = namedSubjects(subjects ?? []);
        // And the file's digest, which the EXPORT entry signed for this record pins (access-report:verify).
        const sha256 = createHash('sha256').update(safe, 'utf8').digest('hex');
        await audit.exported({ what: 'accessReport', operatorId: session.operatorId, role: session.role, bytes: written.bytes, entries: rows, file: path.basename(written.path), ...(named.length > 0 ? { subjects: named } : {}), sha256 });
        log.info({ bytes: written.bytes, rows }, 'access report written');
        // The file's text to the caller admitted above, who may not reach the data folder (a browser download).
        return { ...written, text: safe };
      },
    },
    // Temp files of exports a crash left unfinished (no stop ran) go when the vault opens.
    onVaultOpen: async () => {
      const removed = await exportFiles.removeLeftovers();
      if (removed > 0) log.info({ removed }, 'unfinished export files left by an earlier run removed');
    },
    stop: () => exportFiles.abortAll(),
  });
}
