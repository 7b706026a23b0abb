import { useContext } from 'react';
import type { ExportedFile } from '../ledger/ledger-service';
import { AppInfoContext } from './app-info-context';

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
 * The button that downloads an export's file. Not in the desktop app: its window refuses every
 * download (electron/window/navigation-guards.ts: files leave through the body), and there the
 * user's own account holds the data folder.
 */
export function SaveFileButton({ file, label }: { file: ExportedFile; label: string }) {
  const host = useContext(AppInfoContext)?.host;
  if (host === 'electron') return null;
  return (
    <div className="copy-action">
      <button type="button" className="button button--primary" onClick={() => downloadExportedFile(file)}>
        {label}
      </button>
    </div>
  );
}
