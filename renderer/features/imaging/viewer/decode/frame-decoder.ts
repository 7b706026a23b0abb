import type { DataSet } from 'dicom-parser';
import { paletteToRgb } from '../pixels/palette';
import { planarToInterleaved, samplesTo8Bit, ybrFull422ToRgb, ybrFullToRgb } from '../pixels/photometric';
import type { DecodedFrame, StoredPixels } from '../pixels/pixel-module';
import { clampToBitsStored, toStoredValues, valueRange } from '../pixels/stored-values';
import type { CodecOutput, FrameCodecs } from './codecs';
import { DicomImageError, encapsulatedFrameBytes, nativeFrameBytes, type ImageInfo } from './dicom-image';
import { decodeRleFrame } from './rle';

/** Containers (unsigned, as wide as Bits Allocated) from little-endian bytes; big-endian ones are swapped first. */
export function containersOf(bytes: Uint8Array, bitsAllocated: number, bigEndian: boolean): Uint8Array | Uint16Array | Uint32Array {
  if (bitsAllocated <= 8) return bytes;
  const width = bitsAllocated <= 16 ? 2 : 4;
  const aligned = bytes.byteOffset % width === 0 ? bytes : bytes.slice();
  if (bigEndian) {
    const swapped = new Uint8Array(aligned.length);
    for (let i = 0; i + width <= aligned.length; i += width) for (let b = 0; b < width; b++) swapped[i + b] = aligned[i + width - 1 - b]!;
    return width === 2 ? new Uint16Array(swapped.buffer, 0, swapped.length >> 1) : new Uint32Array(swapped.buffer, 0, swapped.length >> 2);
  }
  return width === 2 ? new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length >> 1) : new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length >> 2);
}

/** 1-bit pixel data (bit-packed, least significant bit first, PS3.5 8.1.1) starting at `firstBit`. */
export function unpackBits(bytes: Uint8Array, firstBit: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const bit = firstBit + i;
    out[i] = (bytes[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

/** Turns one frame's samples (after any decompression) into what the renderer draws. */
export function frameFromSamples(image: ImageInfo, samples: Uint8Array | Uint16Array | Uint32Array, options: { readonly alreadyRgb: boolean; readonly interleaved: boolean }): DecodedFrame {
  const { rows, columns, samplesPerPixel, bitsStored, highBit, pixelRepresentation, photometric } = image.pixel;
  const pixelCount = rows * columns;
  if (samplesPerPixel === 1 && photometric !== 'YBR_FULL_422') {
    if (samples.length < pixelCount) throw new DicomImageError(`The frame holds ${samples.length} samples; ${rows}×${columns} needs ${pixelCount}.`);
    const values = samples.length === pixelCount ? samples : samples.subarray(0, pixelCount);
    if (photometric === 'PALETTE COLOR' && image.palette !== null) {
      return { kind: 'rgb', rows, columns, pixels: paletteToRgb(toStoredValues(values, bitsStored, highBit, false), image.palette) };
    }
    const pixels: StoredPixels = toStoredValues(values, bitsStored, highBit, pixelRepresentation === 1);
    const { min, max } = valueRange(pixels);
    return { kind: 'gray', rows, columns, pixels, min, max };
  }
  // Colour: to 8 bits, interleaved, then RGB.
  let eight = samples instanceof Uint8Array ? samples : samplesTo8Bit(samples, bitsStored);
  if (photometric === 'YBR_FULL_422' && !options.alreadyRgb && eight.length === pixelCount * 2) return { kind: 'rgb', rows, columns, pixels: ybrFull422ToRgb(eight, columns, rows) };
  if (eight.length < pixelCount * 3) throw new DicomImageError(`The colour frame holds ${eight.length} samples; ${rows}×${columns}×3 needs ${pixelCount * 3}.`);
  if (!options.interleaved) eight = planarToInterleaved(eight, pixelCount);
  else if (eight.length > pixelCount * 3) eight = eight.subarray(0, pixelCount * 3);
  const ybr = photometric === 'YBR_FULL' || photometric === 'YBR_FULL_422';
  return { kind: 'rgb', rows, columns, pixels: ybr && !options.alreadyRgb ? ybrFullToRgb(eight) : eight.slice() };
}

function checkCodecOutput(image: ImageInfo, output: CodecOutput): void {
  if (output.width !== image.pixel.columns || output.height !== image.pixel.rows) {
    throw new DicomImageError(`The compressed frame is ${output.width}×${output.height}; the data set says ${image.pixel.columns}×${image.pixel.rows}.`);
  }
}

export function checkFrameIndex(image: ImageInfo, frame: number): void {
  if (!Number.isInteger(frame) || frame < 0 || frame >= image.frames) throw new DicomImageError(`No frame ${frame + 1}: the image has ${image.frames}.`);
}

/** Whether the image's pixel data is native (its frames are byte ranges) rather than encapsulated. */
export function isNative(image: ImageInfo): boolean {
  return image.encoding === 'native' || image.encoding === 'native-big-endian';
}

/** Decodes frame `frame` (0-based) of an image in any transfer syntax the viewer knows. */
export async function decodeFrame(dataSet: DataSet, image: ImageInfo, frame: number, codecs: FrameCodecs): Promise<DecodedFrame> {
  checkFrameIndex(image, frame);
  return decodeFrameBytes(image, frame, isNative(image) ? nativeFrameBytes(dataSet, image, frame) : encapsulatedFrameBytes(dataSet, image, frame), codecs);
}

/**
 * Decodes one frame from its bytes alone: for native pixel data the span nativeFrameSpan gives,
 * for encapsulated pixel data the frame's fragments joined (an instance read in ranges supplies
 * them without holding the rest: ranged-instance.ts).
 */
export async function decodeFrameBytes(image: ImageInfo, frame: number, bytes: Uint8Array, codecs: FrameCodecs): Promise<DecodedFrame> {
  checkFrameIndex(image, frame);
  const { rows, columns, samplesPerPixel, bitsAllocated, planarConfiguration, photometric } = image.pixel;
  switch (image.encoding) {
    case 'native':
    case 'native-big-endian': {
      if (bitsAllocated === 1) {
        const count = rows * columns * samplesPerPixel;
        return frameFromSamples(image, unpackBits(bytes, (frame * count) % 8, count), { alreadyRgb: false, interleaved: true });
      }
      const containers = containersOf(bytes, bitsAllocated, image.encoding === 'native-big-endian');
      return frameFromSamples(image, containers, { alreadyRgb: false, interleaved: planarConfiguration === 0 || photometric === 'YBR_FULL_422' });
    }
    case 'rle': {
      const raw = decodeRleFrame(bytes, rows, columns, samplesPerPixel, bitsAllocated);
      return frameFromSamples(image, containersOf(raw, bitsAllocated, false), { alreadyRgb: false, interleaved: true });
    }
    case 'jpeg-baseline': {
      const output = await codecs.jpegBaseline(bytes);
      checkCodecOutput(image, output);
      return frameFromSamples(image, output.samples, { alreadyRgb: output.convertedToRgb, interleaved: true });
    }
    case 'jpeg-lossless': {
      const output = await codecs.jpegLossless(bytes, bitsAllocated);
      checkCodecOutput(image, output);
      return frameFromSamples(image, output.samples, { alreadyRgb: false, interleaved: true });
    }
    case 'jpeg-ls': {
      const output = await codecs.jpegLs(bytes);
      checkCodecOutput(image, output);
      return frameFromSamples(image, output.samples, { alreadyRgb: false, interleaved: true });
    }
    case 'jpeg-2000':
    case 'htj2k': {
      const output = await (image.encoding === 'htj2k' ? codecs.htj2k(bytes) : codecs.jpeg2000(bytes));
      checkCodecOutput(image, output);
      const { bitsStored, highBit, pixelRepresentation } = image.pixel;
      // A codestream wider than Bits Stored: clamp its values rather than let masking wrap them.
      const samples = highBit === bitsStored - 1 ? clampToBitsStored(output.samples, output.bitsPerSample, bitsStored, pixelRepresentation === 1) : output.samples;
      return frameFromSamples(image, samples, { alreadyRgb: output.convertedToRgb || photometric === 'YBR_ICT' || photometric === 'YBR_RCT', interleaved: true });
    }
    default: {
      const never: never = image.encoding;
      return never;
    }
  }
}
