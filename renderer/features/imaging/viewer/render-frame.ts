import type { ImageInfo } from './decode/dicom-image';
import { buildGrayLut, grayToRgba, rgbToRgba, type GrayView } from './pixels/gray-render';
import { modalityRange } from './pixels/modality-lut';
import type { DecodedFrame } from './pixels/pixel-module';
import { windowForRange } from './pixels/voi-lut';
import type { ViewState, ViewWindow } from './viewport-state';

/** The window an image opens with: its first Window Center/Width, else (no VOI LUT either) its frame's full modality range. */
export function defaultWindow(image: ImageInfo, frame: DecodedFrame): ViewWindow | null {
  const first = image.voi.windows[0];
  if (first !== undefined) return { center: first.center, width: first.width };
  if (frame.kind !== 'gray' || image.voi.luts.length > 0) return null;
  const range = modalityRange(frame.min, frame.max, image.modality);
  return windowForRange(range.min, range.max);
}

/** The grayscale presentation for a view: the user's window, else the image's own VOI (window or LUT). */
export function grayViewFor(image: ImageInfo, frame: DecodedFrame & { kind: 'gray' }, view: ViewState): GrayView {
  const monochrome1 = image.pixel.photometric === 'MONOCHROME1';
  const chosen = view.window ?? defaultWindow(image, frame);
  const lut = image.voi.luts[0];
  const voi: GrayView['voi'] = chosen !== null ? { kind: 'window', center: chosen.center, width: chosen.width, func: image.voi.func } : lut !== undefined ? { kind: 'lut', lut } : { kind: 'window', ...windowForRange(frame.min, frame.max), func: 'LINEAR' };
  return { modality: image.modality, voi, monochrome1, invert: view.invert };
}

/** The table cache: one LUT per frame value range and presentation (a stack shares it while W/L stays). */
let lastLut: { key: string; modality: object; lut: Uint8Array } | null = null;

/** A frame as RGBA pixels for the canvas, presented as the view says. */
export function frameToRgba(image: ImageInfo, frame: DecodedFrame, view: ViewState, out: Uint8ClampedArray): void {
  if (frame.kind === 'rgb') {
    rgbToRgba(frame.pixels, view.invert, out);
    return;
  }
  const gray = grayViewFor(image, frame, view);
  const key = JSON.stringify([frame.min, frame.max, gray.voi.kind === 'window' ? [gray.voi.center, gray.voi.width, gray.voi.func] : image.voi.luts.indexOf(gray.voi.lut), gray.modality.slope, gray.modality.intercept, gray.modality.lut === null ? 0 : gray.modality.lut.entries, gray.monochrome1, gray.invert]);
  if (lastLut === null || lastLut.key !== key || lastLut.modality !== image.modality) lastLut = { key, modality: image.modality, lut: buildGrayLut(frame.min, frame.max, gray) };
  grayToRgba(frame.pixels, frame.min, lastLut.lut, out);
}
