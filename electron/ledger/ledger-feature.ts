import path from 'node:path';
import { AuditJournal } from '../audit/audit-journal';
import { AccessRefusal } from '../auth/operator-sessions';
import { bodyFeature } from '../features/body-feature';
import type { BodyServices } from '../features/body-services';
import { ExportFiles } from './export-files';

/** `ledger.*`: appending the mind's signed entries, and writing ledger exports to disk. */
export function ledgerFeature({ config, log, vault, sessions }: BodyServices) {
  const exportFiles = new ExportFiles(config.dataDir);
  const audit = new AuditJournal(vault, log, config.host);
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
      'ledger.exportBegin': ({ kind }) => exportFiles.begin(kind),
      'ledger.exportAppend': ({ handle, text }) => exportFiles.append(handle, text),
      'ledger.exportFinish': async ({ handle }) => {
        const written = await exportFiles.finish(handle);
        log.info({ bytes: written.bytes }, 'export written');
        return written;
      },
      'ledger.exportAbort': ({ handle }) => exportFiles.abort(handle),
      'ledger.exportAccessReport': async ({ text, rows }, context) => {
        const session = sessions.get(context.connectionId);
        if (session === null) throw new AccessRefusal('E_FORBIDDEN', 'The vault is locked: unlock it to do this.');
        const { handle } = await exportFiles.begin('accessReport');
        let written: { path: string; bytes: number };
        try {
          await exportFiles.append(handle, text);
          written = await exportFiles.finish(handle);
        } catch (error) {
          await exportFiles.abort(handle).catch(() => undefined);
          throw error;
        }
        // Journaled after the file is durable: an export the trail names exists.
        await audit.exported({ what: 'accessReport', operatorId: session.operatorId, role: session.role, bytes: written.bytes, entries: rows, file: path.basename(written.path) });
        log.info({ bytes: written.bytes, rows }, 'access report written');
        return written;
      },
    },
    stop: () => exportFiles.abortAll(),
  });
}
