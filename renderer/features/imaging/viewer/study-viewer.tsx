import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import { ErrorNote } from '../../../app/error-note';
import { hrefForPath, hrefForRoute } from '../../../app/router/hash-route';
import { useVaultRead } from '../../../app/use-vault-read';
import type { ViewerInstance, ViewerStudy } from '../../../vault/imaging/study-instances';
import { useVault } from '../../../vault/vault-context';
import { unknownCharsetNote } from '../../../../shared/dicom/dicom-charset';
import { studyCharsetNotes } from './charset-notes';
import type { InstanceOverview } from './decode/decode-protocol';
import { transferSyntaxName } from './decode/transfer-syntax';
import { sharedDecodeClient } from './decode-client';
import { ImageLoader } from './image-loader';
import type { DecodedFrame } from './pixels/pixel-module';
import { defaultWindow, frameImage } from './render-frame';
import { DocumentOffer, ReportView } from './report-view';
import { SeriesStrip } from './series-strip';
import { VIEWER_KEYSHORTCUTS, viewerShortcut } from './shortcuts';
import { stackOf } from './stack';
import { otherCopiesNote, SHARED_UID_ADVICE, SHARED_UID_NOTE } from '../study-table';
import { TagBrowser } from './tag-browser';
import { useFocusOnOpen } from './viewer-focus';
import { ViewerCanvas, measurementLabel, type PointerTool } from './viewer-canvas';
import { drawLength, INITIAL_VIEW, removeLength, screenZoomPercent, stepIndex, windowPresets, type Measurement, type MeasurementStep, type ViewState } from './viewport-state';
import './viewer.css';

/** The stage is never shorter than this; in a window too short for it the page scrolls. */
const MIN_STAGE_PX = 320;

/**
 * The stage takes the window's height left below its top (QA-12 layout: at 1,000 × 700 the image
 * had 373 px of the window, 164 px with notices), less the page's bottom padding, so the whole
 * image is on screen without scrolling the page.
 */
function fitStage(stage: HTMLElement | null): void {
  if (stage === null) return;
  const content = stage.closest('.content');
  const reserve = content === null ? 16 : Number.parseFloat(getComputedStyle(content).paddingBottom) || 0;
  const top = stage.getBoundingClientRect().top + window.scrollY;
  const height = `${Math.max(MIN_STAGE_PX, Math.floor(window.innerHeight - top - reserve - 1))}px`;
  if (stage.style.height !== height) stage.style.height = height;
}

/**
 * Fits the stage when the window resizes and when the viewer changes size (a notice opened, a copy
 * choice above the image, the title wrapping); fitting changes the viewer's size once more, to the
 * same height, and stops there.
 */
function useStageFill(stage: RefObject<HTMLDivElement | null>, viewer: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const fit = () => fitStage(stage.current);
    window.addEventListener('resize', fit);
    const observer = new ResizeObserver(fit);
    if (viewer.current !== null) observer.observe(viewer.current);
    return () => {
      window.removeEventListener('resize', fit);
      observer.disconnect();
    };
  }, [stage, viewer]);
}

const NO_LENGTHS: ReadonlyMap<number, readonly Measurement[]> = new Map();
const NONE: readonly Measurement[] = [];

/**
 * `#/imaging/studies/<studyId>`: the DICOM viewer. Opening the study journals an access event
 * (the vault does it before answering); images are read from the vault, decrypted in memory and
 * decoded in the decode worker; nothing decoded is stored.
 */
export function StudyViewer({ studyId }: { studyId: string }) {
  const vault = useVault();
  const study = useVaultRead(`study:${studyId}`, () => {
    const started = performance.now();
    return vault.openStudy(studyId).finally(() => performance.measure('hdms-viewer:open-study', { start: started }));
  });
  // The page's decode worker starts with the first study (it loads while the study opens) and
  // forgets each study when its page is left.
  const [{ client, loader }] = useState(() => {
    const decodeClient = sharedDecodeClient();
    return { client: decodeClient, loader: new ImageLoader({ source: (id) => vault.instanceSource(id), decoder: decodeClient }) };
  });
  useEffect(() => {
    loader.resume();
    client.warm();
    return () => {
      // Nothing of this study keeps loading or stays decoded once the page is left.
      loader.suspend();
      void client.reset().catch(() => undefined);
    };
  }, [client, loader]);

  return (
    <div className="viewer">
      {study.phase !== 'ready' && (
        <p>
          <a href={hrefForRoute('imaging')}>← All studies</a>
        </p>
      )}
      {study.phase === 'loading' && <p role="status">Opening the study…</p>}
      {study.phase === 'failed' && <ErrorNote error={study.error} what="The study could not be opened" />}
      {study.phase === 'ready' && <OpenStudy study={study.value} loader={loader} />}
    </div>
  );
}

interface Shown {
  readonly position: number;
  readonly instanceId: string;
  readonly overview: InstanceOverview;
  readonly frame: DecodedFrame | null;
  readonly error: string | null;
}

function OpenStudy({ study, loader }: { study: ViewerStudy; loader: ImageLoader }) {
  const vault = useVault();
  const headingId = useId();
  const fpsId = useId();
  const patient = useVaultRead(`viewer-patient:${study.patientId}`, () => vault.patientHits([study.patientId]));
  const [seriesIndex, setSeriesIndex] = useState(0);
  const series = study.series[seriesIndex];
  const stack = useMemo(() => (series === undefined ? [] : stackOf(series)), [series]);
  const [position, setPosition] = useState(0);
  const [shown, setShown] = useState<Shown | null>(null);
  const [view, setView] = useState<ViewState>(INITIAL_VIEW);
  const [screen, setScreen] = useState({ width: 0, height: 0 });
  const [tool, setTool] = useState<PointerTool>('window');
  // Lengths belong to the image they were drawn on (stack position); other images do not show them.
  const [lengths, setLengths] = useState<ReadonlyMap<number, readonly Measurement[]>>(NO_LENGTHS);
  // The length Delete removes: one chosen in the toolbar, else the newest (null).
  const [chosenLength, setChosenLength] = useState<{ readonly position: number; readonly index: number } | null>(null);
  const [playing, setPlaying] = useState(false);
  const [fpsChoice, setFps] = useState<number | null>(null);
  const [tagsOpen, setTagsOpen] = useState(false);
  // Per instance received again with other bytes (QA explore-12 D4), the copy chosen instead of the latest.
  const [copyOf, setCopyOf] = useState<ReadonlyMap<string, string>>(new Map());
  const wanted = useRef(0);
  const stageRef = useRef<HTMLDivElement>(null);
  const viewerRef = useRef<HTMLElement>(null);
  useStageFill(stageRef, viewerRef);
  // The keys work as soon as the study is open, without a click on the image (QA D2).
  useFocusOnOpen(viewerRef);

  const chooseSeries = (index: number) => {
    if (index === seriesIndex) return;
    loader.cancelPrefetch();
    setSeriesIndex(index);
    setPosition(0);
    setShown(null);
    setPlaying(false);
    setLengths(NO_LENGTHS);
    setView(INITIAL_VIEW);
  };

  // Show the stack entry at `position`: from memory when decoded, else read, parse and decode it.
  useEffect(() => {
    const entry = stack[position];
    if (entry === undefined) return;
    const request = ++wanted.current;
    const instanceId = copyOf.get(entry.instanceId) ?? entry.instanceId;
    (async () => {
      const overview = await loader.overview(instanceId);
      if (request !== wanted.current) return;
      if (overview.kind !== 'image') {
        setShown({ position, instanceId, overview, frame: null, error: null });
        return;
      }
      try {
        const frame = await loader.frame(instanceId, entry.frame);
        if (request === wanted.current) setShown({ position, instanceId, overview, frame, error: null });
      } catch (error) {
        if (request === wanted.current) setShown({ position, instanceId, overview, frame: null, error: error instanceof Error ? error.message : 'The image could not be decoded.' });
      }
    })().catch((error: unknown) => {
      if (request === wanted.current) setShown({ position, instanceId, overview: { sopClassUid: '', transferSyntaxUid: '', kind: 'other', image: null, report: null, document: null, first: null, firstError: null }, frame: null, error: error instanceof Error ? error.message : 'The instance could not be read.' });
    });
  }, [loader, stack, position, copyOf]);

  // Once an image is on screen, decode the rest of the stack around it.
  const shownOnce = shown !== null;
  useEffect(() => {
    if (!shownOnce || stack.length < 2) return;
    void loader.prefetch(stack, position);
  }, [loader, stack, position, shownOnce]);

  // A multi-frame image's Frame Time proposes the cine rate until one is chosen.
  const frameTime = shown?.overview.image?.frameTimeMs ?? null;
  const fps = fpsChoice ?? (frameTime !== null ? Math.min(60, Math.max(1, Math.round(1000 / frameTime))) : 15);

  // Cine: through the stack at the chosen rate, around the end to the start.
  useEffect(() => {
    if (!playing || stack.length < 2) return;
    const timer = window.setInterval(() => setPosition((at) => (at + 1) % stack.length), 1000 / fps);
    return () => window.clearInterval(timer);
  }, [playing, fps, stack.length]);


  const step = useCallback((delta: number) => setPosition((at) => stepIndex(at, delta, stack.length)), [stack.length]);
  const reset = () => {
    setView(INITIAL_VIEW);
    setLengths(NO_LENGTHS);
  };
  const preset = (center: number, width: number) => setView((current) => ({ ...current, window: { center, width } }));

  // The keys work wherever the focus is in the viewer (QA-12 D7), not only on the canvas.
  const onKey = (event: KeyboardEvent<HTMLElement>) => {
    if (event.defaultPrevented) return;
    const shortcut = viewerShortcut(event);
    if (shortcut === null) return;
    // A report or a document has no image tools, nor their keys; stepping through the series stays.
    if (shown !== null && shown.overview.image === null && shortcut.kind !== 'step' && shortcut.kind !== 'first' && shortcut.kind !== 'last') return;
    event.preventDefault();
    switch (shortcut.kind) {
      case 'step':
        return step(shortcut.by);
      case 'first':
        return setPosition(0);
      case 'last':
        return setPosition(Math.max(0, stack.length - 1));
      case 'invert':
        return setView((current) => ({ ...current, invert: !current.invert }));
      case 'reset':
        return reset();
      case 'cine':
        return setPlaying((on) => !on);
      case 'delete-length':
        return deleteLength();
      case 'preset': {
        const chosen = presets.find((candidate) => candidate.key === shortcut.key);
        if (chosen !== undefined && grayscale) preset(chosen.center, chosen.width);
        return;
      }
      default: {
        const never: never = shortcut;
        return never;
      }
    }
  };

  const image = shown?.overview.image ?? null;
  // The shown frame's spacing: an enhanced image's frame may have its own (Per-frame Functional Groups).
  const shownFrame = shown?.frame ?? null;
  const spacing = image === null ? null : shownFrame !== null ? frameImage(image, shownFrame).pixelSpacing : image.pixelSpacing;
  const spacingSource = image === null ? null : shownFrame !== null ? frameImage(image, shownFrame).spacingSource : image.spacingSource;
  const shownPosition = shown?.position ?? 0;
  const measurements = shown === null ? NONE : (lengths.get(shown.position) ?? NONE);
  // A choice holds on the image it was made on; other images have their own lengths (the newest chosen).
  const chosenHere = chosenLength !== null && chosenLength.position === shownPosition && chosenLength.index < measurements.length ? chosenLength.index : null;
  const selectedLength = measurements.length === 0 ? null : (chosenHere ?? measurements.length - 1);
  const deleteLength = () => {
    if (selectedLength === null) return;
    setLengths((current) => new Map(current).set(shownPosition, removeLength(current.get(shownPosition) ?? NONE, selectedLength)));
    setChosenLength(null);
  };
  const onMeasure = useCallback(
    (measureStep: MeasurementStep) => {
      // A new length is the chosen one.
      if (measureStep.kind === 'start') setChosenLength(null);
      setLengths((current) => {
        const next = new Map(current);
        next.set(shownPosition, drawLength(current.get(shownPosition) ?? NONE, measureStep));
        return next;
      });
    },
    [shownPosition],
  );
  // CT presets on a CT only; every image its own windows (QA T1 F7).
  const ownWindows = image === null ? [] : (shownFrame !== null ? frameImage(image, shownFrame) : image).voi.windows;
  const presets = windowPresets(series?.modality ?? '', ownWindows);
  const effectiveWindow = view.window ?? (image !== null && shown?.frame !== null && shown?.frame !== undefined ? defaultWindow(image, shown.frame) : null);
  const hit = patient.phase === 'ready' ? patient.value[0] : undefined;
  const entry = stack[shown?.position ?? position];
  const instance = entry === undefined ? undefined : series?.instances.find((candidate) => candidate.instanceId === entry.instanceId);
  const tagsOf = shown?.instanceId ?? null;
  // Through the loader: it opens the instance again if the worker let it go (QA s33 D1).
  const loadTags = useCallback(() => (tagsOf === null ? Promise.resolve([]) : loader.tags(tagsOf)), [loader, tagsOf]);
  const grayscale = shown?.frame?.kind === 'gray';
  // Image pixels to screen pixels: 100% is 1:1, not fitted to the window (QA D4; viewport-state.ts).
  const zoomPercent = image === null ? null : screenZoomPercent(screen.width, screen.height, image.pixel.columns, image.pixel.rows, spacing, view.zoom);
  // A report, a document or an instance of neither has no pixels: the image tools would do nothing.
  const noImage = image === null ? 'No image is shown: these tools work on images.' : undefined;
  // So once such an instance is shown, the viewer offers none of them (QA s32), only what applies to
  // any instance (Tags) beside the report's text or the document's Save; while loading they stay, off.
  const imageTools = shown === null || image !== null;
  // A study whose views hold no instance (no series with one): nothing will load, so the stage says
  // so instead of "Loading the image…" forever.
  const nothingToShow = stack.length === 0;
  const charsetNotes = useMemo(() => studyCharsetNotes(study), [study]);
  // The tag panel's instance (the latest copy: an earlier copy's character set is not in the views).
  const shownCharset = shown === null ? undefined : study.series.flatMap((entry) => entry.instances).find((candidate) => candidate.instanceId === shown.instanceId)?.unknownCharset;

  return (
    <section className="viewer__study" aria-labelledby={headingId} aria-keyshortcuts={VIEWER_KEYSHORTCUTS} tabIndex={-1} onKeyDown={onKey} ref={viewerRef}>
      <header className="viewer__header">
        <div className="viewer__title">
          <a href={hrefForRoute('imaging')}>← All studies</a>
          <h2 id={headingId}>{study.study.description === '' ? 'Study' : study.study.description}</h2>
          <p className="muted">
            {study.study.date === '' ? 'No study date' : study.study.date}
            {study.study.accessionNumber !== '' && ` · Accession ${study.study.accessionNumber}`}
            {hit !== undefined && (
              <>
                {' · '}
                <a href={hrefForPath('patients', study.patientId)}>{`${hit.name} · ${hit.identifier}`}</a>
              </>
            )}
          </p>
        </div>
        <StudyNotices notes={[...(study.sharedWithOtherPatient ? [`${SHARED_UID_NOTE} ${SHARED_UID_ADVICE}`] : []), ...(study.instancesWithOtherCopies > 0 ? [otherCopiesNote(study.instancesWithOtherCopies, study.recodedCopies)] : []), ...charsetNotes]} />
      </header>
      <div className="viewer__body">
        <SeriesStrip series={study.series} chosen={seriesIndex} onChoose={chooseSeries} loader={loader} thumbnails={shownOnce} />
        <div className="viewer__main">
          <div className="viewer__view">
            <div className="viewer-stage" ref={stageRef}>
              {/* Over the image, not above it (QA T1 F2): a notice above the stage shrank and moved the image on this instance only, so it jumped while scrolling. */}
              {instance !== undefined && instance.earlierCopies.length > 0 && (
                <CopyChoice instance={instance} shownId={copyOf.get(instance.instanceId) ?? instance.instanceId} onChoose={(id) => setCopyOf((current) => new Map(current).set(instance.instanceId, id))} />
              )}
              {nothingToShow && (
                <p role="status" className="viewer-stage__note">
                  This study has no images to show: none of its instances is in the vault, only the study details above. Instances held or quarantined at intake are listed in <a href={hrefForRoute('intake')}>Intake</a>, under Quarantine.
                </p>
              )}
              {shown === null && !nothingToShow && <p role="status" className="viewer-stage__note">Loading the image…</p>}
              {shown !== null && shown.error !== null && <p role="alert" className="note note--error viewer-stage__note">The image could not be shown: {shown.error}</p>}
              {shown !== null && shown.overview.kind === 'report' && shown.overview.report !== null && <ReportView lines={shown.overview.report} />}
              {shown !== null && shown.overview.kind === 'document' && shown.overview.document !== null && <DocumentOffer document={shown.overview.document} fileName={`document-${shown.position + 1}`} record={(bytes, file) => vault.documentSaved(shown.instanceId, bytes, file)} />}
              {shown !== null && shown.overview.kind === 'other' && shown.error === null && <p className="viewer-stage__note">This instance holds neither an image, a report nor a document; its tags are under Tags.</p>}
              {image !== null && (
                <>
                  <ViewerCanvas
                    image={image}
                    frame={shown?.frame ?? null}
                    view={view}
                    onView={setView}
                    tool={tool}
                    measurements={measurements}
                    selectedMeasurement={selectedLength}
                    onMeasure={onMeasure}
                    onStep={step}
                    position={shown?.position ?? 0}
                    label={`Image ${(shown?.position ?? 0) + 1} of ${stack.length}`}
                    onScreenSize={setScreen}
                  />
                  <div className="viewer-overlay viewer-overlay--top" aria-live="off">
                    <span>{series?.description || (series !== undefined && series.number !== null ? `Series ${series.number}` : '')}</span>
                    <span data-testid="viewer-position">
                      Image {(shown?.position ?? 0) + 1} / {stack.length}
                      {entry !== undefined && entry.frames > 1 && ` (instance ${entry.instanceOrdinal}, frame ${entry.frame + 1} of ${entry.frames})`}
                    </span>
                  </div>
                  <div className="viewer-overlay viewer-overlay--bottom">
                    {effectiveWindow !== null && grayscale && (
                      <span data-testid="viewer-window">
                        W {Math.round(effectiveWindow.width)} / L {Math.round(effectiveWindow.center)}
                      </span>
                    )}
                    {zoomPercent !== null && <span data-testid="viewer-zoom">Zoom {zoomPercent}%</span>}
                    {measurements.map((measurement, index) => (
                      <span key={index} data-testid="viewer-length">
                        Length {measurementLabel(measurement, spacing, spacingSource)}
                      </span>
                    ))}
                    <span>
                      {image.pixel.columns}×{image.pixel.rows} · {image.pixel.photometric} · {transferSyntaxName(shown?.overview.transferSyntaxUid ?? '')}
                    </span>
                  </div>
                </>
              )}
            </div>
            {!nothingToShow && (
              <div className="viewer-toolbar" role="toolbar" aria-label={imageTools ? 'Image tools' : 'Instance tools'}>
                {imageTools && (
                  <>
                    <div className="viewer-toolbar__group" role="radiogroup" aria-label="Left button">
                      {(
                        [
                          ['window', 'Window/level'],
                          ['pan', 'Pan'],
                          ['zoom', 'Zoom'],
                          ['length', 'Length'],
                        ] as const
                      ).map(([value, text]) => (
                        <button key={value} type="button" role="radio" aria-checked={tool === value} className={tool === value ? 'button button--primary' : 'button'} disabled={noImage !== undefined} title={noImage} onClick={() => setTool(value)}>
                          {text}
                        </button>
                      ))}
                    </div>
                    <div className="viewer-toolbar__group viewer-toolbar__group--flow" aria-label="Window presets" role="group">
                      {presets.map((entry, index) => (
                        <button key={`${entry.source}-${index}`} type="button" className="button" disabled={!grayscale} title={noImage ?? `${entry.source === 'ct' ? `CT preset: centre ${entry.center} HU, width ${entry.width} HU` : `Window Center ${entry.center}, Width ${entry.width}`}${entry.key === null ? '' : ` (key ${entry.key})`}`} onClick={() => preset(entry.center, entry.width)}>
                          {entry.name}
                        </button>
                      ))}
                      <button type="button" className="button" disabled={!grayscale} title={noImage ?? 'The image’s own window: its first Window Center/Width, else its whole range'} onClick={() => setView((current) => ({ ...current, window: null }))}>
                        Default
                      </button>
                    </div>
                    {measurements.length > 0 && (
                      <div className="viewer-toolbar__group viewer-toolbar__group--flow" role="group" aria-label="Lengths">
                        <select className="input viewer-toolbar__length" aria-label="Chosen length" value={String(selectedLength ?? 0)} onChange={(event) => setChosenLength({ position: shownPosition, index: Number(event.target.value) })}>
                          {measurements.map((measurement, index) => (
                            <option key={index} value={String(index)}>
                              Length {index + 1}: {measurementLabel(measurement, spacing, spacingSource)}
                            </option>
                          ))}
                        </select>
                        <button type="button" className="button" title="Delete or Backspace: the chosen length (the newest unless another is chosen)" onClick={deleteLength}>
                          Delete length
                        </button>
                      </div>
                    )}
                    <div className="viewer-toolbar__group" role="group" aria-label="View">
                      <button type="button" className="button" aria-pressed={view.invert} disabled={noImage !== undefined} title={noImage} onClick={() => setView((current) => ({ ...current, invert: !current.invert }))}>
                        Invert
                      </button>
                      <button type="button" className="button" disabled={noImage !== undefined} title={noImage} onClick={reset}>
                        Reset
                      </button>
                      <button type="button" className="button" aria-pressed={playing} disabled={stack.length < 2} onClick={() => setPlaying((on) => !on)}>
                        {playing ? 'Stop cine' : 'Play cine'}
                      </button>
                      <label htmlFor={fpsId} className="viewer-toolbar__label">
                        Frames/s
                      </label>
                      <input id={fpsId} className="input viewer-toolbar__fps" type="number" min={1} max={60} value={fps} onChange={(event) => setFps(Math.min(60, Math.max(1, Number(event.target.value) || 1)))} />
                    </div>
                  </>
                )}
                <div className="viewer-toolbar__group" role="group" aria-label="Instance">
                  <button type="button" className="button" aria-pressed={tagsOpen} onClick={() => setTagsOpen((open) => !open)}>
                    Tags
                  </button>
                </div>
                {imageTools && (
                  <details className="viewer-help">
                    <summary>Keys and mouse</summary>
                    <p>
                      Wheel or arrow keys: next and previous image (Page Up/Down by ten, Home/End first and last); a trackpad scrolls by the length of the swipe. Ctrl+wheel or a pinch zooms; the middle button pans, the right button zooms. Keys work wherever the focus is in the viewer, except in a text box: Delete or Backspace deletes the chosen length (the newest, or the one chosen beside Delete length), I invert, R reset (window, zoom and lengths), 1–4 window presets (the CT presets on a CT, else the image’s own windows), Space cine (on a focused button, Space presses the button).
                    </p>
                  </details>
                )}
              </div>
            )}
          </div>
        </div>
        {/* A report or a document is no image: the panel says which instance it shows. */}
        {tagsOpen && shown !== null && <TagBrowser key={shown.instanceId} load={loadTags} instanceLabel={`${shown.overview.kind === 'image' ? 'Image' : 'Instance'} ${shown.position + 1} of ${stack.length}`} {...(shownCharset !== undefined && { note: unknownCharsetNote(shownCharset) })} onClose={() => setTagsOpen(false)} />}
      </div>
    </section>
  );
}

/**
 * The study's notices (images of its UID filed under another patient, images received again with
 * other bytes) on one line that opens to their whole text (QA-12 layout: two notices of two lines
 * each pushed the image 130 px down a 700 px window).
 */
export function StudyNotices({ notes }: { notes: readonly string[] }) {
  if (notes.length === 0) return null;
  return (
    <div role="note" className="note note--warn viewer-notices">
      <details>
        <summary title={notes.join('\n')}>
          {notes.map((note, index) => (
            <span key={index} className="viewer-notices__item">
              {note}{' '}
            </span>
          ))}
        </summary>
      </details>
    </div>
  );
}

/**
 * Over the image's top edge, for an instance received again with other bytes under its SOP Instance UID
 * (QA explore-12 D4): which copy is shown, and the other copies to open: one button for the one
 * other copy, else one list (QA2-12 Q6: a button each pushed the image off a 700 px window).
 */
export function CopyChoice({ instance, shownId, onChoose }: { instance: ViewerInstance; shownId: string; onChoose: (instanceId: string) => void }) {
  const listId = useId();
  const copies = [...instance.earlierCopies.map((copy) => ({ copy: copy.copy, instanceId: copy.instanceId })), { copy: instance.copy, instanceId: instance.instanceId }];
  const shown = copies.find((copy) => copy.instanceId === shownId) ?? copies[copies.length - 1]!;
  const label = (copy: number) => (copy === instance.copy ? `copy ${copy} of ${instance.copy}, the latest` : `copy ${copy} of ${instance.copy}, received earlier`);
  // Copies in other transfer syntaxes (the same image re-encoded, QA s33 D3) say so; the overlay
  // names the shown copy's (a syntax in each label made the note two lines at 1,000 px).
  const syntaxes = instance.earlierCopies.every((copy) => copy.transferSyntaxUid !== undefined) ? new Set([instance.transferSyntaxUid, ...instance.earlierCopies.map((copy) => copy.transferSyntaxUid)]).size : 1;
  const other = copies.length === 2 ? copies.find((copy) => copy.instanceId !== shown.instanceId) : undefined;
  if (other !== undefined) {
    return (
      <div role="note" className="note note--warn viewer-copies" data-testid="viewer-copies">
        <span>{syntaxes > 1 ? 'This image was received twice under the same SOP Instance UID, in two transfer syntaxes.' : 'This image was received twice with different bytes under the same SOP Instance UID.'} Shown: {label(shown.copy)}.</span>{' '}
        <button type="button" className="button" onClick={() => onChoose(other.instanceId)}>
          Show {label(other.copy)}
        </button>
      </div>
    );
  }
  // One line at 1,000 px: the list says which copy is shown.
  return (
    <div role="note" className="note note--warn viewer-copies viewer-copies--list" data-testid="viewer-copies">
      <span>{syntaxes > 1 ? `Received ${instance.copy} times under this SOP Instance UID, in ${syntaxes} transfer syntaxes.` : `Received ${instance.copy} times with different bytes under this SOP Instance UID.`}</span>{' '}
      <span className="viewer-copies__choice">
        <label htmlFor={listId}>Shown:</label>{' '}
        <select id={listId} className="input" value={shown.instanceId} onChange={(event) => onChoose(event.target.value)}>
          {copies.map((copy) => (
            <option key={copy.instanceId} value={copy.instanceId}>
              {label(copy.copy)}
            </option>
          ))}
        </select>
      </span>
    </div>
  );
}
