import { useContext, useState } from 'react';
import type { ExportedFile } from '../ledger/ledger-service';
import { useApi } from './api-context';
import { AppInfoContext } from './app-info-context';
import { useAction } from './use-action';
import { ActionError } from './vault-errors';

/** How long a download's blob URL stays valid: the browser has started reading it long before. */
const REVOKE_AFTER_MS = 60_000;

/**
 * Saves an export's file through the browser's download (issue 11 F4): in the browser shell the
 * data folder the body wrote it into may belong to a service account the user cannot reach. The
 * bytes are the file's own (UTF-8 of its text), so a digest signed for the export still matches.
 */
export function downloadExportedFile(file: ExportedFile, doc: Document = document): void {
  const url = URL.createObjectURL(new Blob([...file.parts], { type: `${file.type};charset=utf-8` }));
  const link = doc.createElement('a');
  link.href = url;
  link.download = file.name;
  link.hidden = true;
  doc.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

/**
 * The button that saves an export's file where the user can reach it: a download in the browser
 * shell; in the desktop app, whose window refuses every download (electron/window/navigation-guards.ts),
 * the body's save dialog copies it (ledger.saveExportAs).
 */
export function SaveFileButton({ file, label }: { file: ExportedFile; label: string }) {
  const host = useContext(AppInfoContext)?.host;
  if (host === 'electron') return <SaveCopyButton name={file.name} label={label.replace(/^Download/, 'Save a copy of')} />;
  return (
    <div className="copy-action">
      <button type="button" className="button button--primary" onClick={() => downloadExportedFile(file)}>
        {label}
      </button>
    </div>
  );
}

function SaveCopyButton({ name, label }: { name: string; label: string }) {
  const api = useApi();
  const [saved, setSaved] = useState<string | null>(null);
  const save = useAction(async () => {
    setSaved(null);
    setSaved((await api.ledger.saveExportAs({ file: name })).path);
  });
  return (
    <div className="copy-action">
      <button type="button" className="button button--primary" disabled={save.busy} aria-busy={save.busy || undefined} onClick={() => void save.run()}>
        {label}…
      </button>
      {saved !== null && (
        <p role="status">
          Saved to <code className="path">{saved}</code>
        </p>
      )}
      <ActionError error={save.error} />
    </div>
  );
}
