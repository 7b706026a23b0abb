import { lookupLut, lutMaxOutput } from './lut-data';
import type { LutData, VoiFunction } from './pixel-module';

/**
 * The VOI LUT stage (PS3.3 C.11.2): modality values to display values in [0, yMax]. Window
 * Center and Width with their function (C.11.2.1.2: LINEAR, LINEAR_EXACT, SIGMOID), or a VOI LUT.
 */
export function windowValue(x: number, center: number, width: number, func: VoiFunction, yMax: number): number {
  switch (func) {
    case 'LINEAR': {
      // C.11.2.1.2.1: Window Width ≥ 1; the centre is shifted by half a step.
      const w = Math.max(width, 1);
      const c = center - 0.5;
      const half = (w - 1) / 2;
      if (x <= c - half) return 0;
      if (x > c + half) return yMax;
      return w === 1 ? yMax : ((x - c) / (w - 1) + 0.5) * yMax;
    }
    case 'LINEAR_EXACT': {
      const w = Math.max(width, Number.MIN_VALUE);
      if (x <= center - w / 2) return 0;
      if (x > center + w / 2) return yMax;
      return ((x - center) / w + 0.5) * yMax;
    }
    case 'SIGMOID':
      return yMax / (1 + Math.exp((-4 * (x - center)) / Math.max(width, Number.MIN_VALUE)));
    default: {
      const never: never = func;
      return never;
    }
  }
}

/** A VOI LUT's output scaled to [0, yMax]. */
export function voiLutValue(x: number, lut: LutData, yMax: number): number {
  return (lookupLut(lut, x) / lutMaxOutput(lut)) * yMax;
}

/** The window that shows a whole range (what a viewer opens with when the data set names none). */
export function windowForRange(min: number, max: number): { center: number; width: number } {
  const width = Math.max(max - min, 1);
  return { center: min + width / 2, width };
}
