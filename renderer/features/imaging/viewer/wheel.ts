/**
 * The mouse wheel and the trackpad in the viewer (QA-12 D3). A wheel event says how far, not only
 * which way: a mouse notch is about 100 px (Chromium on Windows 100, on Linux 120, Firefox 3
 * lines), a trackpad or a smooth-scrolling mouse sends many events of a few pixels. So the deltas
 * are added up and the stack moves one image per notch-sized amount, the remainder kept for the
 * next event; a change of direction or a pause starts again from nothing. Ctrl+wheel (and a
 * trackpad pinch, which Chromium sends as Ctrl+wheel) zooms in proportion to the delta.
 */

/** The pixels of one mouse-wheel notch: one image, or one 1.1× zoom step. */
export const NOTCH_PX = 100;
/** A line (deltaMode 1): three lines are a notch, as browsers that count in lines send them. */
const LINE_PX = NOTCH_PX / 3;
/** After this pause the remainder of a gesture is forgotten: a new gesture starts from nothing. */
export const WHEEL_PAUSE_MS = 400;
/** The zoom of one notch. */
export const ZOOM_PER_NOTCH = 1.1;

/** A wheel delta in pixels whatever its deltaMode (0 pixels, 1 lines, 2 pages: a page is one notch). */
export function wheelPixels(delta: number, deltaMode: number): number {
  if (!Number.isFinite(delta)) return 0;
  if (deltaMode === 1) return delta * LINE_PX;
  if (deltaMode === 2) return delta * NOTCH_PX;
  return delta;
}

/** The zoom factor for a Ctrl+wheel delta in pixels: 1.1× per notch, up (zoom in) for a negative delta. */
export function wheelZoomFactor(deltaPx: number): number {
  return Math.pow(ZOOM_PER_NOTCH, -deltaPx / NOTCH_PX);
}

/**
 * Wheel deltas to stack steps. A single event of a notch or more (a mouse wheel) moves its whole
 * notches and carries nothing over, so a 120 px notch is one image every time, never two on the
 * fifth; smaller deltas (trackpads) add up until they make a notch.
 */
export class WheelStepper {
  private rest = 0;
  private last = Number.NEGATIVE_INFINITY;

  /** The steps for one event (delta in pixels, time in ms), positive down the stack. */
  step(deltaPx: number, time: number): number {
    if (deltaPx === 0 || !Number.isFinite(deltaPx)) return 0;
    if (time - this.last > WHEEL_PAUSE_MS || time < this.last || Math.sign(deltaPx) !== Math.sign(this.rest)) this.rest = 0;
    this.last = time;
    const total = this.rest + deltaPx;
    const steps = Math.trunc(total / NOTCH_PX);
    this.rest = Math.abs(deltaPx) >= NOTCH_PX ? 0 : total - steps * NOTCH_PX;
    return steps === 0 ? 0 : steps;
  }

  reset(): void {
    this.rest = 0;
    this.last = Number.NEGATIVE_INFINITY;
  }
}
