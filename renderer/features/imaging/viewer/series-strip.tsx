import { useEffect, useRef, useState } from 'react';
import type { ViewerSeries } from '../../../vault/imaging/study-instances';
import type { ImageLoader } from './image-loader';
import { frameToRgba } from './render-frame';
import { INITIAL_VIEW } from './viewport-state';

const THUMB = 96;

/** One series' thumbnail: its first image, presented as it opens, fitted into a small canvas. */
function Thumbnail({ loader, series, enabled }: { loader: ImageLoader; series: ViewerSeries; enabled: boolean }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<'waiting' | 'shown' | 'none'>('waiting');
  const first = series.instances[0];
  useEffect(() => {
    if (!enabled || first === undefined) return;
    let current = true;
    (async () => {
      const overview = await loader.overview(first.instanceId);
      if (overview.image === null) return setState('none');
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
      setState('shown');
    })().catch(() => current && setState('none'));
    return () => {
      current = false;
    };
  }, [loader, first, enabled]);
  return <canvas ref={canvasRef} width={THUMB} height={THUMB} className={`viewer-thumb viewer-thumb--${state}`} aria-hidden="true" />;
}

/** The study's series as thumbnails with their number, modality, description and image count; one is chosen. */
export function SeriesStrip({ series, chosen, onChoose, loader, thumbnails }: { series: readonly ViewerSeries[]; chosen: number; onChoose: (index: number) => void; loader: ImageLoader; thumbnails: boolean }) {
  return (
    <nav className="viewer-series" aria-label="Series">
      <ul>
        {series.map((entry, index) => (
          <li key={entry.seriesId}>
            <button type="button" className={index === chosen ? 'viewer-series__item viewer-series__item--chosen' : 'viewer-series__item'} aria-pressed={index === chosen} onClick={() => onChoose(index)}>
              <Thumbnail loader={loader} series={entry} enabled={thumbnails} />
              <span className="viewer-series__text">
                <span>
                  {entry.number !== null ? `Series ${entry.number}` : 'Series'}
                  {entry.modality !== '' ? ` · ${entry.modality}` : ''}
                </span>
                <span className="muted">{entry.description === '' ? 'No description' : entry.description}</span>
                <span className="muted">{entry.instances.length === 1 ? '1 instance' : `${entry.instances.length} instances`}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
