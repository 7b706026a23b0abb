import { lookupLut } from './lut-data';
import type { ModalityTransform } from './pixel-module';

/**
 * The Modality LUT stage (PS3.3 C.11.1): stored values to modality values (Hounsfield units for
 * CT). A Modality LUT Sequence wins over Rescale Slope and Intercept; with neither, identity.
 */
export function modalityValue(stored: number, transform: ModalityTransform): number {
  if (transform.lut !== null) return lookupLut(transform.lut, stored);
  return stored * transform.slope + transform.intercept;
}

/** The modality values of a stored range [min, max] (the ends map to the ends for a rising transform; a LUT is scanned). */
export function modalityRange(min: number, max: number, transform: ModalityTransform): { min: number; max: number } {
  if (transform.lut === null) {
    const a = modalityValue(min, transform);
    const b = modalityValue(max, transform);
    return { min: Math.min(a, b), max: Math.max(a, b) };
  }
  let low = Infinity;
  let high = -Infinity;
  for (let v = min; v <= max; v++) {
    const out = lookupLut(transform.lut, v);
    if (out < low) low = out;
    if (out > high) high = out;
  }
  return { min: low, max: high };
}

export const IDENTITY_MODALITY: ModalityTransform = { slope: 1, intercept: 0, lut: null };
