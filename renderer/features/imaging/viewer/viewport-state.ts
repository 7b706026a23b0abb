/**
 * The viewport's geometry and presentation as pure functions: where the image sits on the canvas
 * (fit, zoom, pan, non-square pixels), canvas ↔ image coordinates, window/level by dragging,
 * the CT presets and a length in millimetres. The canvas component holds one ViewState.
 */

export interface ViewWindow {
  readonly center: number;
  readonly width: number;
}

export interface ViewState {
  /** null: the image's own grayscale presentation (its first window, else its full range). */
  readonly window: ViewWindow | null;
  readonly invert: boolean;
  /** Magnification on top of fitting the image into the canvas (1 = fit). */
  readonly zoom: number;
  /** Offset of the image centre from the canvas centre, in canvas pixels. */
  readonly panX: number;
  readonly panY: number;
}

export const INITIAL_VIEW: ViewState = { window: null, invert: false, zoom: 1, panX: 0, panY: 0 };

/** Window presets for CT in Hounsfield units (centre / width), as radiology workstations offer them. */
export const CT_PRESETS: readonly { readonly name: string; readonly key: string; readonly center: number; readonly width: number }[] = [
  { name: 'Brain', key: '1', center: 40, width: 80 },
  { name: 'Lung', key: '2', center: -600, width: 1500 },
  { name: 'Bone', key: '3', center: 400, width: 1800 },
  { name: 'Abdomen', key: '4', center: 40, width: 400 },
];

/** A window offered on a button (and a key 1–4 when it has one). */
export interface WindowPreset {
  readonly name: string;
  readonly key: string | null;
  readonly center: number;
  readonly width: number;
  /** Where it comes from: a CT preset in HU, or the image's own Window Center/Width. */
  readonly source: 'ct' | 'image';
}

const PRESET_KEYS = ['1', '2', '3', '4'];

/**
 * The windows an image is offered (QA T1 F7): the CT presets are Hounsfield units, so only a CT
 * (Modality CT) gets them; every image gets the windows its data set names (Window Center/Width
 * with their explanations, PS3.3 C.11.2), on the keys left.
 */
export function windowPresets(modality: string, windows: readonly { readonly center: number; readonly width: number; readonly label: string }[]): readonly WindowPreset[] {
  const ct: WindowPreset[] = modality.trim().toUpperCase() === 'CT' ? CT_PRESETS.map((preset) => ({ ...preset, source: 'ct' as const })) : [];
  const own = windows.map((window, index) => ({ name: window.label, key: PRESET_KEYS[ct.length + index] ?? null, center: window.center, width: window.width, source: 'image' as const }));
  return [...ct, ...own];
}

export interface Placement {
  /** Canvas pixels per image column and per image row. */
  readonly scaleX: number;
  readonly scaleY: number;
  /** Canvas position of the image's top-left corner. */
  readonly left: number;
  readonly top: number;
}

/**
 * Where the image goes: fitted into the canvas with its physical aspect (row spacing / column
 * spacing; square when unknown), magnified by zoom, centred, then panned.
 */
export function placement(canvasWidth: number, canvasHeight: number, columns: number, rows: number, spacing: readonly [number, number] | null, view: ViewState): Placement {
  const aspect = spacing !== null && spacing[0] > 0 && spacing[1] > 0 ? spacing[0] / spacing[1] : 1;
  const fit = Math.min(canvasWidth / columns, canvasHeight / (rows * aspect));
  const scaleX = fit * view.zoom;
  const scaleY = fit * aspect * view.zoom;
  return { scaleX, scaleY, left: canvasWidth / 2 + view.panX - (columns * scaleX) / 2, top: canvasHeight / 2 + view.panY - (rows * scaleY) / 2 };
}

/**
 * The zoom the overlay shows (QA D4): screen (CSS) pixels per image pixel, in percent, so 100% is
 * one image pixel to one screen pixel (1:1), not "fitted to the window". Measured along the image's
 * columns: with non-square pixels the rows are stretched to the physical aspect, not counted. The
 * canvas' CSS size is given (not its device pixels), so a HiDPI screen shows the same figure.
 * null while the canvas has no size yet.
 */
export function screenZoomPercent(cssWidth: number, cssHeight: number, columns: number, rows: number, spacing: readonly [number, number] | null, zoom: number): number | null {
  if (!(cssWidth > 0) || !(cssHeight > 0) || !(columns > 0) || !(rows > 0)) return null;
  return Math.round(placement(cssWidth, cssHeight, columns, rows, spacing, { ...INITIAL_VIEW, zoom }).scaleX * 100);
}

export function canvasToImage(place: Placement, x: number, y: number): { x: number; y: number } {
  return { x: (x - place.left) / place.scaleX, y: (y - place.top) / place.scaleY };
}

export function imageToCanvas(place: Placement, x: number, y: number): { x: number; y: number } {
  return { x: place.left + x * place.scaleX, y: place.top + y * place.scaleY };
}

/**
 * Window/level by dragging: right widens the window, down raises the level (as most workstations
 * do), by 1/128 of the window's width a pixel, so a narrow window is tuned finely (QA T1 F8: the
 * image's whole range set the speed, ~9 HU a pixel for a W 80 brain window) and a wide one fast.
 * `range` is the image's span of modality values (render-frame.ts windowDragRange): 1/16384 of it
 * is the floor, so a window narrowed to 1 still widens. No fixed floor: an image of values 0–4.1
 * keeps steps of hundredths.
 */
export function dragWindow(start: ViewWindow, dx: number, dy: number, range: number): ViewWindow {
  const step = Math.max(Math.max(start.width, 0) / 128, range / 16384);
  return { center: start.center + dy * step, width: Math.max(1, start.width + dx * step) };
}

/** Zoom by a factor about a canvas point (it stays under the pointer), within 1/8 … 32. */
export function zoomAbout(view: ViewState, factor: number, x: number, y: number, canvasWidth: number, canvasHeight: number): ViewState {
  const zoom = Math.min(32, Math.max(0.125, view.zoom * factor));
  const applied = zoom / view.zoom;
  // The point under the cursor, relative to the image centre, scales with the zoom.
  const cx = canvasWidth / 2 + view.panX;
  const cy = canvasHeight / 2 + view.panY;
  return { ...view, zoom, panX: view.panX + (x - cx) * (1 - applied), panY: view.panY + (y - cy) * (1 - applied) };
}

/** A length between two image points in mm (row spacing × Δrow, column spacing × Δcolumn), or null without spacing. */
export function lengthMm(a: { x: number; y: number }, b: { x: number; y: number }, spacing: readonly [number, number] | null): number | null {
  if (spacing === null || !(spacing[0] > 0) || !(spacing[1] > 0)) return null;
  const dx = (b.x - a.x) * spacing[1];
  const dy = (b.y - a.y) * spacing[0];
  return Math.hypot(dx, dy);
}

/** The next index of a stack by a step, within [0, count − 1]. */
export function stepIndex(index: number, step: number, count: number): number {
  return Math.min(Math.max(0, index + step), Math.max(0, count - 1));
}

/** A length drawn on an image, between two points in image pixels. */
export interface Measurement {
  readonly a: { readonly x: number; readonly y: number };
  readonly b: { readonly x: number; readonly y: number };
}

/** One step of drawing a length: pressed (a new one), dragged (its end moves), released. */
export interface MeasurementStep {
  readonly kind: 'start' | 'move' | 'end';
  readonly measurement: Measurement;
}

/** The most lengths one image keeps; drawing another drops the oldest. */
export const MAX_LENGTHS_PER_IMAGE = 20;

/**
 * An image's lengths after one drawing step: a press adds a length, a drag moves the newest one's
 * end, and a release keeps it unless it has no length (a click, not a drag), which is dropped.
 */
export function drawLength(lengths: readonly Measurement[], step: MeasurementStep): readonly Measurement[] {
  if (step.kind === 'start') return [...lengths, step.measurement].slice(-MAX_LENGTHS_PER_IMAGE);
  if (lengths.length === 0) return lengths;
  const earlier = lengths.slice(0, -1);
  const { a, b } = step.measurement;
  if (step.kind === 'end' && a.x === b.x && a.y === b.y) return earlier;
  return [...earlier, step.measurement];
}

/** An image's lengths without the one at `index` (QA T1 F5: only Reset removed a length, with the window and zoom). */
export function removeLength(lengths: readonly Measurement[], index: number): readonly Measurement[] {
  if (index < 0 || index >= lengths.length) return lengths;
  return [...lengths.slice(0, index), ...lengths.slice(index + 1)];
}
