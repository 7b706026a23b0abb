import { useEffect, useId, useMemo, useState } from 'react';
import type { TagRow } from '../../../../shared/dicom/tag-list';
import { TagTable } from './tag-table';

/**
 * The tag browser (as Horos' metadata panel): every element of the instance shown, sequences
 * expanded with their items, filtered by tag, name or value. Values are as the data set holds
 * them (binary ones by length); nothing of it leaves the page. Keyed by the instance it shows.
 */
export function TagBrowser({ load, instanceLabel, note, onClose }: { load: () => Promise<readonly TagRow[]>; instanceLabel: string; /** What the views know is wrong with the instance (an unknown character set). */ note?: string; onClose: () => void }) {
  const headingId = useId();
  const filterId = useId();
  const [rows, setRows] = useState<{ phase: 'loading' } | { phase: 'failed'; message: string } | { phase: 'ready'; rows: readonly TagRow[] }>({ phase: 'loading' });
  const [query, setQuery] = useState('');
  useEffect(() => {
    let current = true;
    load().then(
      (loaded) => current && setRows({ phase: 'ready', rows: loaded }),
      (error: unknown) => current && setRows({ phase: 'failed', message: error instanceof Error ? error.message : 'The tags could not be read.' }),
    );
    return () => {
      current = false;
    };
  }, [load]);
  const shown = useMemo(() => {
    if (rows.phase !== 'ready') return [];
    const words = query.trim().toLowerCase();
    if (words === '') return rows.rows;
    const compact = words.replace(/[(),\s]/g, '');
    return rows.rows.filter((row) => row.name.toLowerCase().includes(words) || row.value.toLowerCase().includes(words) || row.tag.replace(/[(),]/g, '').toLowerCase().includes(compact));
  }, [rows, query]);

  return (
    <aside className="viewer-tags" aria-labelledby={headingId}>
      <div className="viewer-tags__head">
        <h2 id={headingId}>Tags</h2>
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted">{instanceLabel}</p>
      {note !== undefined && <p className="note note--warn">{note}</p>}
      <div className="field">
        <label htmlFor={filterId} className="field__label">
          Filter tags
        </label>
        <input id={filterId} className="input" type="search" value={query} onChange={(event) => setQuery(event.target.value)} autoComplete="off" spellCheck={false} />
      </div>
      {rows.phase === 'loading' && <p role="status">Reading the tags…</p>}
      {rows.phase === 'failed' && <p className="note note--error">{rows.message}</p>}
      {rows.phase === 'ready' && (
        <div className="table-wrap viewer-tags__table">
          <TagTable rows={shown} labelledBy={headingId} />
          <p className="muted">{shown.length === rows.rows.length ? `${rows.rows.length} elements` : `${shown.length} of ${rows.rows.length} elements`}</p>
        </div>
      )}
    </aside>
  );
}
