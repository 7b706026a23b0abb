import { useEffect, useRef, useState, type PointerEvent, type WheelEvent } from 'react';
import type { ImageInfo, SpacingSource } from './decode/dicom-image';
import type { DecodedFrame } from './pixels/pixel-module';
import { defaultWindow, frameImage, frameToRgba, windowDragRange } from './render-frame';
import { WheelStepper, wheelPixels, wheelZoomFactor } from './wheel';
import { VIEWER_KEYSHORTCUTS } from './shortcuts';
import { canvasToImage, dragWindow, imageToCanvas, lengthMm, placement, zoomAbout, type Measurement, type MeasurementStep, type ViewState, type ViewWindow } from './viewport-state';

export type { Measurement } from './viewport-state';

export type PointerTool = 'window' | 'pan' | 'zoom' | 'length';

interface Drag {
  readonly tool: PointerTool;
  readonly x: number;
  readonly y: number;
  readonly view: ViewState;
  readonly window: ViewWindow | null;
  /** The image's span of modality values, the window drag's reach (worked out once a drag: a Modality LUT is scanned). */
  readonly range: number;
}

/**
 * The text of a measurement: millimetres from the pixel spacing, saying when they are at the
 * detector (Imager Pixel Spacing alone, QA T1 F6) or corrected by the estimated magnification;
 * else image pixels.
 */
export function measurementLabel(measurement: Measurement, spacing: readonly [number, number] | null, source: SpacingSource | null = 'patient'): string {
  const mm = lengthMm(measurement.a, measurement.b, spacing);
  const where = source === 'detector' ? ' at detector' : source === 'magnification' ? ' (corrected for magnification)' : '';
  return mm !== null ? `${mm.toFixed(1)} mm${where}` : `${Math.hypot(measurement.b.x - measurement.a.x, measurement.b.y - measurement.a.y).toFixed(1)} px (no pixel spacing)`;
}

/**
 * The image on a canvas: the frame presented through the pixel pipeline into an offscreen canvas
 * at its own size, drawn fitted, zoomed and panned, with the image's lengths on top. The left
 * button does what the chosen tool does (window/level, pan, zoom, length); the middle button pans,
 * the right button zooms; the wheel scrolls the stack by its deltas added up, one image per notch
 * (with Ctrl, or a trackpad pinch: zooms in proportion, 1.1× per notch; wheel.ts); keys on the
 * viewer's root (shortcuts.ts).
 */
export function ViewerCanvas(props: {
  readonly image: ImageInfo;
  readonly frame: DecodedFrame | null;
  readonly view: ViewState;
  readonly onView: (view: ViewState) => void;
  readonly tool: PointerTool;
  /** This image's lengths, the newest last (the one a drag with the length tool moves). */
  readonly measurements: readonly Measurement[];
  /** The length Delete would remove, drawn in another colour; null: none. */
  readonly selectedMeasurement?: number | null;
  readonly onMeasure: (step: MeasurementStep) => void;
  readonly onStep: (step: number) => void;
  /** Stack position drawn, for the canvas' data attributes (tests and the benchmark read them). */
  readonly position: number;
  readonly label: string;
  /** The canvas' size in CSS pixels when it changes (the overlay's zoom is image to screen pixels). */
  readonly onScreenSize?: (size: { readonly width: number; readonly height: number }) => void;
}) {
  const { image, frame, view, onView, tool, measurements, selectedMeasurement = null, onMeasure, onStep, position, label, onScreenSize } = props;
  // An enhanced image's frame may have its own spacing (Per-frame Functional Groups).
  const spacing = frame === null ? image.pixelSpacing : frameImage(image, frame).pixelSpacing;
  const spacingSource = frame === null ? image.spacingSource : frameImage(image, frame).spacingSource;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const offscreenRef = useRef<HTMLCanvasElement | null>(null);
  const drawnRef = useRef<{ frame: DecodedFrame; view: ViewState } | null>(null);
  const dragRef = useRef<Drag | null>(null);
  const wheelRef = useRef(new WheelStepper());
  const [size, setSize] = useState({ width: 0, height: 0 });

  // The canvas follows its box, in device pixels.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    const observer = new ResizeObserver(() => {
      const ratio = window.devicePixelRatio || 1;
      setSize({ width: Math.max(1, Math.round(canvas.clientWidth * ratio)), height: Math.max(1, Math.round(canvas.clientHeight * ratio)) });
      onScreenSize?.({ width: canvas.clientWidth, height: canvas.clientHeight });
    });
    observer.observe(canvas);
    return () => observer.disconnect();
  }, [onScreenSize]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null || size.width === 0) return;
    if (canvas.width !== size.width) canvas.width = size.width;
    if (canvas.height !== size.height) canvas.height = size.height;
    const context = canvas.getContext('2d');
    if (context === null) return;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = '#000';
    context.fillRect(0, 0, canvas.width, canvas.height);
    if (frame === null) return;
    const started = performance.now();
    // The pixels again only when the frame or its presentation changed (not for zoom or pan).
    const drawn = drawnRef.current;
    if (drawn === null || drawn.frame !== frame || drawn.view.window !== view.window || drawn.view.invert !== view.invert || offscreenRef.current === null) {
      const offscreen = offscreenRef.current ?? document.createElement('canvas');
      offscreenRef.current = offscreen;
      if (offscreen.width !== frame.columns) offscreen.width = frame.columns;
      if (offscreen.height !== frame.rows) offscreen.height = frame.rows;
      const offContext = offscreen.getContext('2d');
      if (offContext === null) return;
      const data = offContext.createImageData(frame.columns, frame.rows);
      frameToRgba(image, frame, view, data.data);
      offContext.putImageData(data, 0, 0);
    }
    drawnRef.current = { frame, view };
    const place = placement(canvas.width, canvas.height, frame.columns, frame.rows, spacing, view);
    context.imageSmoothingEnabled = place.scaleX < 4;
    context.drawImage(offscreenRef.current!, place.left, place.top, frame.columns * place.scaleX, frame.rows * place.scaleY);
    const ratio = window.devicePixelRatio || 1;
    context.strokeStyle = '#ffd400';
    context.fillStyle = '#ffd400';
    context.lineWidth = 2 * ratio;
    context.font = `${14 * ratio}px system-ui, sans-serif`;
    for (const [index, measurement] of measurements.entries()) {
      const colour = index === selectedMeasurement && measurements.length > 1 ? '#4fd1ff' : '#ffd400';
      context.strokeStyle = colour;
      context.fillStyle = colour;
      const a = imageToCanvas(place, measurement.a.x, measurement.a.y);
      const b = imageToCanvas(place, measurement.b.x, measurement.b.y);
      context.beginPath();
      context.moveTo(a.x, a.y);
      context.lineTo(b.x, b.y);
      context.stroke();
      for (const end of [a, b]) context.fillRect(end.x - 3 * ratio, end.y - 3 * ratio, 6 * ratio, 6 * ratio);
      context.fillText(measurementLabel(measurement, spacing, spacingSource), b.x + 8 * ratio, b.y - 8 * ratio);
    }
    performance.measure('hdms-viewer:draw', { start: started });
    canvas.dataset['shown'] = String(position);
    canvas.dataset['renders'] = String(Number(canvas.dataset['renders'] ?? '0') + 1);
  }, [image, frame, spacing, spacingSource, view, size, measurements, selectedMeasurement, position]);

  const pointAt = (event: PointerEvent<HTMLCanvasElement>) => {
    const canvas = canvasRef.current!;
    const rect = canvas.getBoundingClientRect();
    const ratio = canvas.width / Math.max(rect.width, 1);
    return { x: (event.clientX - rect.left) * ratio, y: (event.clientY - rect.top) * ratio };
  };

  const currentWindow = (): ViewWindow | null => view.window ?? (frame === null ? null : defaultWindow(image, frame));

  const onPointerDown = (event: PointerEvent<HTMLCanvasElement>) => {
    if (frame === null) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    const chosen: PointerTool = event.button === 1 ? 'pan' : event.button === 2 ? 'zoom' : tool;
    const { x, y } = pointAt(event);
    dragRef.current = { tool: chosen, x, y, view, window: currentWindow(), range: chosen === 'window' && frame.kind === 'gray' ? windowDragRange(image, frame) : 0 };
    if (chosen === 'length') {
      const place = placement(size.width, size.height, frame.columns, frame.rows, spacing, view);
      const at = canvasToImage(place, x, y);
      onMeasure({ kind: 'start', measurement: { a: at, b: at } });
    }
  };

  const onPointerMove = (event: PointerEvent<HTMLCanvasElement>) => {
    const drag = dragRef.current;
    if (drag === null || frame === null) return;
    const { x, y } = pointAt(event);
    const dx = x - drag.x;
    const dy = y - drag.y;
    switch (drag.tool) {
      case 'window': {
        if (drag.window === null || frame.kind !== 'gray') return;
        onView({ ...drag.view, window: dragWindow(drag.window, dx, dy, drag.range) });
        return;
      }
      case 'pan':
        onView({ ...drag.view, panX: drag.view.panX + dx, panY: drag.view.panY + dy });
        return;
      case 'zoom':
        onView(zoomAbout(drag.view, Math.exp(-dy / 200), drag.x, drag.y, size.width, size.height));
        return;
      case 'length': {
        const newest = measurements.at(-1);
        if (newest === undefined) return;
        const place = placement(size.width, size.height, frame.columns, frame.rows, spacing, view);
        onMeasure({ kind: 'move', measurement: { a: newest.a, b: canvasToImage(place, x, y) } });
        return;
      }
      default: {
        const never: never = drag.tool;
        return never;
      }
    }
  };

  const onPointerUp = () => {
    const drag = dragRef.current;
    dragRef.current = null;
    const newest = measurements.at(-1);
    // A click with the length tool (no drag) leaves no zero length behind.
    if (drag?.tool === 'length' && newest !== undefined) onMeasure({ kind: 'end', measurement: newest });
  };

  const onWheel = (event: WheelEvent<HTMLCanvasElement>) => {
    const delta = wheelPixels(event.deltaY, event.deltaMode);
    if (event.ctrlKey) {
      wheelRef.current.reset();
      if (delta === 0) return;
      const canvas = canvasRef.current!;
      const rect = canvas.getBoundingClientRect();
      const ratio = canvas.width / Math.max(rect.width, 1);
      onView(zoomAbout(view, wheelZoomFactor(delta), (event.clientX - rect.left) * ratio, (event.clientY - rect.top) * ratio, size.width, size.height));
      return;
    }
    const steps = wheelRef.current.step(delta, event.timeStamp);
    if (steps !== 0) onStep(steps);
  };

  // React attaches wheel listeners as passive; the page must not scroll under the image.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    const stop = (event: globalThis.WheelEvent) => event.preventDefault();
    canvas.addEventListener('wheel', stop, { passive: false });
    return () => canvas.removeEventListener('wheel', stop);
  }, []);

  return (
    <canvas
      ref={canvasRef}
      className={`viewer-canvas viewer-canvas--${tool}`}
      tabIndex={0}
      role="img"
      aria-label={label}
      aria-keyshortcuts={VIEWER_KEYSHORTCUTS}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onContextMenu={(event) => event.preventDefault()}
      onWheel={onWheel}
    />
  );
}
