import { bodyFeature } from '../features/body-feature';
import type { BodyServices } from '../features/body-services';
import { ExportFiles } from './export-files';

/** `ledger.*`: appending the mind's signed entries, and writing ledger exports to disk. */
export function ledgerFeature({ config, log, vault }: BodyServices) {
  const exportFiles = new ExportFiles(config.dataDir);
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
    },
    stop: () => exportFiles.abortAll(),
  });
}
