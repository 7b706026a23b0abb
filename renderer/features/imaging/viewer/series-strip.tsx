import { useEffect, useRef, useState } from 'react';
import type { ViewerSeries } from '../../../vault/imaging/study-instances';
import type { ImageLoader } from './image-loader';
import { frameToRgba } from './render-frame';
import { INITIAL_VIEW } from './viewport-state';

const THUMB = 96;

/** What a thumbnail shows: the first image, or a glyph for an instance with none to draw. */
type ThumbState = { readonly kind: 'waiting' | 'shown' } | { readonly kind: 'glyph'; readonly short: string; readonly name: string; readonly modifier: string };

const REPORT: ThumbState = { kind: 'glyph', short: 'SR', name: 'Structured report', modifier: 'report' };
const NO_IMAGE: ThumbState = { kind: 'glyph', short: 'None', name: 'No image, report or document', modifier: 'other' };
const NOT_SHOWN: ThumbState = { kind: 'glyph', short: '!', name: 'The first image could not be shown', modifier: 'failed' };

/** An encapsulated document's glyph, named by its MIME type (PS3.3 C.24.2: PDF, CDA, STL, OBJ, MTL). */
function documentGlyph(mimeType: string): ThumbState {
  const kinds: Record<string, readonly [string, string]> = { 'application/pdf': ['PDF', 'PDF document'], 'text/xml': ['CDA', 'CDA document'], 'model/stl': ['STL', 'STL model'], 'model/obj': ['OBJ', 'OBJ model'], 'model/mtl': ['MTL', 'MTL material'] };
  const [short, name] = kinds[mimeType] ?? ['DOC', 'Document'];
  return { kind: 'glyph', short, name, modifier: 'document' };
}

/**
 * One series' thumbnail: its first image, presented as it opens, fitted into a small canvas; a
 * report or a document has no image, so it gets a page glyph naming its kind (user test T1 F13: it
 * was a black square).
 */
function Thumbnail({ loader, series, enabled }: { loader: ImageLoader; series: ViewerSeries; enabled: boolean }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<ThumbState>({ kind: 'waiting' });
  const first = series.instances[0];
  useEffect(() => {
    if (!enabled || first === undefined) return;
    let current = true;
    (async () => {
      const overview = await loader.overview(first.instanceId);
      if (!current) return;
      if (overview.kind === 'report') return setState(REPORT);
      if (overview.kind === 'document') return setState(documentGlyph(overview.document?.mimeType ?? ''));
      if (overview.image === null) return setState(NO_IMAGE);
      const frame = await loader.frame(first.instanceId, 0);
      const canvas = canvasRef.current;
      if (!current || canvas === null) return;
      const image = new ImageData(frame.columns, frame.rows);
      frameToRgba(overview.image, frame, INITIAL_VIEW, image.data);
      const source = document.createElement('canvas');
      source.width = frame.columns;
      source.height = frame.rows;
      source.getContext('2d')?.putImageData(image, 0, 0);
      const context = canvas.getContext('2d');
      if (context === null) return;
      context.fillStyle = '#000';
      context.fillRect(0, 0, THUMB, THUMB);
      const scale = Math.min(THUMB / frame.columns, THUMB / frame.rows);
      context.drawImage(source, (THUMB - frame.columns * scale) / 2, (THUMB - frame.rows * scale) / 2, frame.columns * scale, frame.rows * scale);
      setState({ kind: 'shown' });
    })().catch(() => current && setState(NOT_SHOWN));
    return () => {
      current = false;
    };
  }, [loader, first, enabled]);
  if (state.kind === 'glyph') {
    return (
      <span className={`viewer-thumb viewer-thumb--glyph viewer-thumb--${state.modifier}`} role="img" aria-label={state.name}>
        <span aria-hidden="true">{state.short}</span>
      </span>
    );
  }
  return <canvas ref={canvasRef} width={THUMB} height={THUMB} className={`viewer-thumb viewer-thumb--${state.kind}`} aria-hidden="true" />;
}

/** One series' button: its thumbnail and label; the label may be clamped in the narrow column, so its whole text is the title. */
function SeriesItem({ entry, chosen, onChoose, loader, thumbnails }: { entry: ViewerSeries; chosen: boolean; onChoose: () => void; loader: ImageLoader; thumbnails: boolean }) {
  const lines = [`${entry.number !== null ? `Series ${entry.number}` : 'Series'}${entry.modality !== '' ? ` · ${entry.modality}` : ''}`, entry.description === '' ? 'No description' : entry.description, entry.instances.length === 1 ? '1 instance' : `${entry.instances.length} instances`] as const;
  return (
    <li>
      <button type="button" className={chosen ? 'viewer-series__item viewer-series__item--chosen' : 'viewer-series__item'} aria-pressed={chosen} title={lines.join('\n')} onClick={onChoose}>
        <Thumbnail loader={loader} series={entry} enabled={thumbnails} />
        <span className="viewer-series__text">
          <span>{lines[0]}</span>
          <span className="muted viewer-series__description">{lines[1]}</span>
          <span className="muted">{lines[2]}</span>
        </span>
      </button>
    </li>
  );
}

/** The study's series as thumbnails with their number, modality, description and image count; one is chosen. */
export function SeriesStrip({ series, chosen, onChoose, loader, thumbnails }: { series: readonly ViewerSeries[]; chosen: number; onChoose: (index: number) => void; loader: ImageLoader; thumbnails: boolean }) {
  return (
    <nav className="viewer-series" aria-label="Series">
      <ul>
        {series.map((entry, index) => (
          <SeriesItem key={entry.seriesId} entry={entry} chosen={index === chosen} onChoose={() => onChoose(index)} loader={loader} thumbnails={thumbnails} />
        ))}
      </ul>
    </nav>
  );
}
