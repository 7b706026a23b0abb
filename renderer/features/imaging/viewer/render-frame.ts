import type { ImageInfo } from './decode/dicom-image';
import { buildGrayLut, grayToRgba, rgbToRgba, type GrayView } from './pixels/gray-render';
import { modalityRange } from './pixels/modality-lut';
import type { DecodedFrame } from './pixels/pixel-module';
import { windowForRange } from './pixels/voi-lut';
import type { ViewState, ViewWindow } from './viewport-state';

const ownImages = new WeakMap<DecodedFrame, { readonly of: ImageInfo; readonly own: ImageInfo }>();

/**
 * The image as one frame is to be shown: an enhanced image's Per-frame Functional Groups values
 * for that frame (its rescale, windows, pixel spacing: PS3.3 C.7.6.16) over the image's own (the
 * Shared Functional Groups', else the top level's). The same object for the same frame, so a
 * frame's presentation is computed once.
 */
export function frameImage(image: ImageInfo, frame: DecodedFrame): ImageInfo {
  const values = frame.values;
  if (values === undefined) return image;
  const known = ownImages.get(frame);
  if (known !== undefined && (known.of === image || known.own === image)) return known.own;
  const own: ImageInfo = {
    ...image,
    ...(values.modality !== undefined && { modality: values.modality }),
    ...(values.voi !== undefined && { voi: values.voi }),
    ...(values.pixelSpacing !== undefined && { pixelSpacing: values.pixelSpacing, spacingSource: 'patient' as const }),
  };
  ownImages.set(frame, { of: image, own });
  return own;
}

/** The window an image opens with: its first Window Center/Width, else (no VOI LUT either) its frame's full modality range. */
export function defaultWindow(shared: ImageInfo, frame: DecodedFrame): ViewWindow | null {
  const image = frameImage(shared, frame);
  const first = image.voi.windows[0];
  if (first !== undefined) return { center: first.center, width: first.width };
  if (frame.kind !== 'gray' || image.voi.luts.length > 0) return null;
  const range = modalityRange(frame.min, frame.max, image.modality);
  return windowForRange(range.min, range.max);
}

/**
 * How far a window/level drag reaches (viewport-state.ts dragWindow): the frame's stored range
 * through its own rescale (or Modality LUT), since the window is in those modality units; a
 * negative slope gives the same span (QA s33 D2: the stored range made a slope 0.001 image's
 * window jump from 4 to 44 in 5 px).
 */
export function windowDragRange(shared: ImageInfo, frame: DecodedFrame & { kind: 'gray' }): number {
  const range = modalityRange(frame.min, frame.max, frameImage(shared, frame).modality);
  return range.max - range.min;
}

/** The grayscale presentation for a view: the user's window, else the image's own VOI (window or LUT). */
export function grayViewFor(shared: ImageInfo, frame: DecodedFrame & { kind: 'gray' }, view: ViewState): GrayView {
  const image = frameImage(shared, frame);
  const monochrome1 = image.pixel.photometric === 'MONOCHROME1';
  const chosen = view.window ?? defaultWindow(shared, frame);
  const lut = image.voi.luts[0];
  const voi: GrayView['voi'] = chosen !== null ? { kind: 'window', center: chosen.center, width: chosen.width, func: image.voi.func } : lut !== undefined ? { kind: 'lut', lut } : { kind: 'window', ...windowForRange(frame.min, frame.max), func: 'LINEAR' };
  return { modality: image.modality, voi, monochrome1, invert: view.invert };
}

/**
 * The table cache: one LUT per frame value range and presentation (a stack shares it while W/L
 * stays; frames of an enhanced image with equal rescales too). LUT data is compared by identity.
 */
let lastLut: { key: string; modalityLut: object | null; voiLut: object | null; lut: Uint8Array } | null = null;

/** A frame as RGBA pixels for the canvas, presented as the view says. */
export function frameToRgba(image: ImageInfo, frame: DecodedFrame, view: ViewState, out: Uint8ClampedArray): void {
  if (frame.kind === 'rgb') {
    rgbToRgba(frame.pixels, view.invert, out);
    return;
  }
  const gray = grayViewFor(image, frame, view);
  const voiLut = gray.voi.kind === 'lut' ? gray.voi.lut : null;
  const key = JSON.stringify([frame.min, frame.max, gray.voi.kind === 'window' ? [gray.voi.center, gray.voi.width, gray.voi.func] : 'lut', gray.modality.slope, gray.modality.intercept, gray.monochrome1, gray.invert]);
  if (lastLut === null || lastLut.key !== key || lastLut.modalityLut !== gray.modality.lut || lastLut.voiLut !== voiLut) {
    lastLut = { key, modalityLut: gray.modality.lut, voiLut, lut: buildGrayLut(frame.min, frame.max, gray) };
  }
  grayToRgba(frame.pixels, frame.min, lastLut.lut, out);
}
