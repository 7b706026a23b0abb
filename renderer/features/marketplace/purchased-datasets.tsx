import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { ErrorNote } from '../../app/error-note';
import { TextField } from '../../app/form/text-field';
import { useDataSearch } from '../../app/research-context';
import { useAction } from '../../app/use-action';
import type { FilePreview } from '../../research/dataset-previews';
import type { DatasetContents, KeeperShareState, PurchasedDataset } from '../../research/purchased-datasets';
import { useVaultIndexing } from '../../vault/vault-context';

/**
 * Marketplace › Datasets (issue 15 item 7, a research node): each delivered purchase with its key
 * keepers. "Ask the keepers for the key" sends each a signed release request; once enough shares
 * came, "Open the dataset" combines them, checks the key against the clinic's notarized commitment
 * and the package against its notarized hash, and acknowledges the delivery (which pays the clinic
 * and the keepers). The opened dataset shows its manifest, release report, a preview of each file
 * and its provenance with the notary's leaves, and saves to a folder.
 */

const SHARE_WORDS: Readonly<Record<KeeperShareState['state'], string>> = { 'not-asked': 'not asked yet', waiting: 'asked, waiting', released: 'released its share', refused: 'refused' };
const STEP_WORDS: Readonly<Record<string, string>> = {
  query: 'Query',
  offer: 'Offer',
  purchase: 'Purchase request',
  acceptance: 'Acceptance',
  deposit: 'Deposit',
  delivery: 'Delivery',
  'key-release': 'Key release',
  acknowledgement: 'Acknowledgement',
};

function sizeOf(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function SaveForm({ purchaseId }: { purchaseId: string }) {
  const datasets = useDataSearch()?.datasets;
  const formId = useId();
  const [folder, setFolder] = useState('');
  const [saved, setSaved] = useState<{ folder: string; files: number; bytes: number } | null>(null);
  const choose = useAction(async () => {
    const chosen = await datasets!.chooseFolder();
    if (chosen !== null) setFolder(chosen);
  });
  const save = useAction(async () => setSaved(await datasets!.save(purchaseId, folder.trim())));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save.run();
  };
  return (
    <form className="form" aria-labelledby={formId} onSubmit={submit} noValidate>
      <h4 id={formId}>Save dataset to a folder</h4>
      <p className="muted">The NDJSON, CSV and DICOM files, the manifest and the release report, written as they are checked. The folder must be new or empty.</p>
      <TextField label="Folder" hint="An absolute path on this computer." value={folder} onValue={setFolder} spellCheck={false} autoComplete="off" />
      <div className="form-actions">
        <button type="button" className="button button--small" disabled={choose.busy} onClick={() => void choose.run()}>
          Choose…
        </button>
        <button type="submit" className="button button--primary" disabled={save.busy || folder.trim() === ''}>
          {save.busy ? 'Saving…' : 'Save dataset to a folder'}
        </button>
      </div>
      {choose.error !== null && <ErrorNote error={choose.error} what="No folder was chosen" />}
      {save.error !== null && <ErrorNote error={save.error} what="The dataset was not saved" />}
      {saved !== null && save.error === null && (
        <p role="status">
          Saved {saved.files.toLocaleString('en')} files ({sizeOf(saved.bytes)}) to {saved.folder}.
        </p>
      )}
    </form>
  );
}

function DatasetPage({ purchaseId }: { purchaseId: string }) {
  const datasets = useDataSearch()?.datasets;
  const headingId = useId();
  const [contents, setContents] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; contents: DatasetContents }>({ phase: 'loading' });
  useEffect(() => {
    datasets?.contents(purchaseId).then(
      (loaded) => setContents({ phase: 'ready', contents: loaded }),
      (error: unknown) => setContents({ phase: 'failed', error }),
    );
  }, [datasets, purchaseId]);
  if (contents.phase === 'loading') return <p role="status">Reading and checking the dataset…</p>;
  if (contents.phase === 'failed') return <ErrorNote error={contents.error} what="The dataset could not be read" />;
  const { manifest, report, previews, provenance } = contents.contents;
  const images = previews.filter((file): file is FilePreview & { thumbnail: NonNullable<FilePreview['thumbnail']> } => file.thumbnail !== undefined);
  return (
    <section className="dataset-page" aria-labelledby={headingId}>
      <h3 id={headingId}>Dataset {manifest.purchaseId}</h3>
      <dl className="facts">
        <dt>Contents</dt>
        <dd>
          {Object.entries(manifest.counts)
            .filter(([, count]) => count > 0)
            .map(([type, count]) => `${count.toLocaleString('en')} ${type}`)
            .join(', ')}
        </dd>
        <dt>De-identification</dt>
        <dd>
          {report.profile === 'safe-harbor' ? 'HIPAA Safe Harbor' : 'Longitudinal'}; k = {report.achieved.k} (at least {report.required.k}), ℓ = {report.achieved.l} (at least {report.required.l}) on {report.sensitiveAttribute}; {report.rows.out.toLocaleString('en')} of {report.rows.in.toLocaleString('en')} records released, {report.rows.suppressed.toLocaleString('en')} suppressed
        </dd>
        <dt>Quasi-identifiers</dt>
        <dd>{report.quasiIdentifiers.map((qi) => `${qi.name}: ${qi.meaning}`).join('; ')}</dd>
        {report.dicom !== undefined && (
          <>
            <dt>DICOM files</dt>
            <dd>PS3.15 Annex E: {report.dicom.methods.map((method) => `${method.meaning} (${method.code})`).join(', ')}</dd>
          </>
        )}
        <dt>Released</dt>
        <dd>
          <time dateTime={report.createdAt}>{new Date(report.createdAt).toLocaleString()}</time>
        </dd>
      </dl>
      <h4>Provenance</h4>
      <ol className="provenance" aria-label="Provenance">
        {provenance.map((step, i) => (
          <li key={i}>
            <strong>{STEP_WORDS[step.step] ?? step.step}</strong> by {step.by}: {step.what}
            {step.at !== null && (
              <>
                {' '}
                (<time dateTime={new Date(step.at).toISOString()}>{new Date(step.at).toLocaleString()}</time>)
              </>
            )}
            {step.leafIndex !== null && <span className="muted"> — notary leaf {step.leafIndex.toLocaleString('en')}</span>}
          </li>
        ))}
      </ol>
      {images.length > 0 && (
        <>
          <h4>Images</h4>
          <p className="muted">
            The first image of {images.length === 1 ? 'one DICOM file' : `${images.length} DICOM files`} (a series’ first instance first), as the viewer presents it.
          </p>
          <ul className="dataset-images" aria-label="Images" style={{ display: 'flex', flexWrap: 'wrap', gap: '0.75rem', listStyle: 'none', padding: 0 }}>
            {images.map((file) => (
              <li key={file.path}>
                <figure style={{ margin: 0, width: '128px' }}>
                  <img src={file.thumbnail.src} width={file.thumbnail.width} height={file.thumbnail.height} alt={file.thumbnail.alt} style={{ display: 'block', background: '#000' }} />
                  <figcaption className="muted" style={{ fontSize: '0.75rem', overflowWrap: 'anywhere' }}>
                    {file.path.split('/').pop()}
                  </figcaption>
                </figure>
              </li>
            ))}
          </ul>
        </>
      )}
      <h4>Files</h4>
      {previews.map((file) => (
        <details key={file.path} className="dataset-file">
          <summary>
            {file.path} <span className="muted">({sizeOf(file.bytes)}, {file.mediaType})</span>
          </summary>
          {file.columns.length === 0 ? (
            <p className="muted">{file.thumbnail !== undefined ? 'Its first image is shown under Images.' : 'No preview for this kind of file.'}</p>
          ) : (
            <div className="table-wrap">
              <table className="data-table" aria-label={`Preview of ${file.path}`}>
                <thead>
                  <tr>
                    {file.columns.map((column) => (
                      <th scope="col" key={column}>
                        {column}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {file.rows.map((row, r) => (
                    <tr key={r}>
                      {row.map((cell, c) => (
                        <td key={c}>{cell}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </details>
      ))}
      <SaveForm purchaseId={purchaseId} />
    </section>
  );
}

/** Where the acknowledgement stands: in this node's ledger, and on the escrow as last read. */
function acknowledgementWords(dataset: PurchasedDataset): string {
  if (dataset.acknowledgedAt === null) return 'Not acknowledged yet.';
  if (dataset.escrowHolds === false) return 'Delivery acknowledged: the escrow pays the clinic and the keepers.';
  if (dataset.escrowHolds === true) return 'Acknowledged in this node’s ledger; the escrow still holds the deposit.';
  return 'Acknowledged in this node’s ledger; the escrow could not be read.';
}

function DatasetRow({ dataset, onChanged }: { dataset: PurchasedDataset; onChanged: () => void }) {
  const datasets = useDataSearch()?.datasets;
  const [shown, setShown] = useState(false);
  const ask = useAction(async () => {
    await datasets!.requestKeys(dataset.purchaseId);
    onChanged();
  });
  const open = useAction(async () => {
    await datasets!.openDataset(dataset.purchaseId);
    onChanged();
    setShown(true);
  });
  const acknowledge = useAction(async () => {
    await datasets!.acknowledge(dataset.purchaseId);
    onChanged();
  });
  const enough = dataset.released >= dataset.threshold;
  return (
    <li className="dataset-row">
      <p>
        <strong>{dataset.delivery.released.toLocaleString('en')} records</strong> from the purchase {dataset.purchaseId} (k = {dataset.delivery.k}, ℓ = {dataset.delivery.l}; {sizeOf(dataset.delivery.size)} sealed)
      </p>
      <p>
        Key: {dataset.released} {dataset.released === 1 ? 'share' : 'shares'} released ({dataset.threshold} needed).
      </p>
      <ul className="keeper-shares" aria-label="Key keepers">
        {dataset.shares.map((share) => (
          <li key={share.keeper}>
            {share.institution}: {SHARE_WORDS[share.state]}
            {share.reason !== null && ` — ${share.reason}`}
            {share.leafIndex !== null && <span className="muted"> (notary leaf {share.leafIndex.toLocaleString('en')})</span>}
          </li>
        ))}
      </ul>
      {dataset.opened === null ? (
        <div className="form-actions">
          {!enough && (
            <button type="button" className="button button--small" disabled={ask.busy} onClick={() => void ask.run()}>
              {dataset.requestedAt === null ? 'Ask the keepers for the key' : 'Ask the keepers again'}
            </button>
          )}
          {enough && (
            <button type="button" className="button button--primary" disabled={open.busy} aria-busy={open.busy} onClick={() => void open.run()}>
              Open the dataset
            </button>
          )}
        </div>
      ) : (
        <p>
          Opened and checked: {dataset.opened.files.toLocaleString('en')} files, <time dateTime={new Date(dataset.opened.openedAt).toISOString()}>{new Date(dataset.opened.openedAt).toLocaleString()}</time>.{' '}
          {acknowledgementWords(dataset)}{' '}
          <button type="button" className="button button--small" onClick={() => setShown(!shown)} aria-expanded={shown}>
            {shown ? 'Hide the dataset' : 'Show the dataset'}
          </button>
          {/* Offered only while something is left to do: the ledger entry, or the escrow's acknowledge(). */}
          {(dataset.acknowledgedAt === null || dataset.escrowHolds === true) && (
            <>
              {' '}
              <button type="button" className="button button--small" disabled={acknowledge.busy || open.busy} onClick={() => void acknowledge.run()}>
                {dataset.acknowledgedAt === null ? 'Acknowledge the delivery' : 'Acknowledge on the chain again'}
              </button>
            </>
          )}
        </p>
      )}
      {/* Opening ends with the escrow's acknowledge(), after the row already shows the dataset opened. */}
      {open.busy && <p role="status">Opening, checking and acknowledging the delivery…</p>}
      {ask.error !== null && <ErrorNote error={ask.error} what="The keepers were not asked" />}
      {open.error !== null && <ErrorNote error={open.error} what="The dataset was not opened" />}
      {acknowledge.error !== null && <ErrorNote error={acknowledge.error} what="The delivery was not acknowledged" />}
      {shown && dataset.opened !== null && <DatasetPage purchaseId={dataset.purchaseId} />}
    </li>
  );
}

export function PurchasedDatasets() {
  const datasets = useDataSearch()?.datasets;
  const indexing = useVaultIndexing();
  const headingId = useId();
  const [loaded, setLoaded] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; list: PurchasedDataset[] }>({ phase: 'loading' });
  const load = useCallback(() => {
    datasets?.list().then(
      (list) => setLoaded({ phase: 'ready', list }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
  }, [datasets]);
  useEffect(() => {
    if (!indexing.busy) load();
  }, [load, indexing.busy]);
  if (datasets === undefined) return null;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Datasets</h2>
      {loaded.phase === 'loading' && <p role="status">Loading your datasets…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="Your datasets could not be loaded" />}
      {loaded.phase === 'ready' && loaded.list.length === 0 && <p className="muted">No dataset delivered yet.</p>}
      {loaded.phase === 'ready' && loaded.list.length > 0 && (
        <ul className="dataset-list" aria-labelledby={headingId}>
          {loaded.list.map((dataset) => (
            <DatasetRow key={dataset.purchaseId} dataset={dataset} onChanged={load} />
          ))}
        </ul>
      )}
    </section>
  );
}
