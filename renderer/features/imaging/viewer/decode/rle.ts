/**
 * DICOM RLE Lossless (PS3.5 Annex G): each frame is a 64-byte header (the number of segments and
 * up to 15 segment offsets, little-endian 32-bit) followed by segments, each a PackBits stream of
 * one byte plane: for every sample the most significant byte first (G.2). The result is the
 * frame's containers little-endian and colour-by-pixel (interleaved), whatever the data set's
 * Planar Configuration says (G.2: RLE segments are planes by definition).
 */

export class RleError extends Error {
  override readonly name = 'RleError';
}

/** Decodes one PackBits segment (G.3.1) into `out` at every `stride`-th byte from `start`; returns the bytes written. */
export function unpackSegment(data: Uint8Array, from: number, to: number, out: Uint8Array, start: number, stride: number, count: number): number {
  let read = from;
  let written = 0;
  let at = start;
  while (read < to && written < count) {
    const header = data[read++]!;
    if (header < 128) {
      // Literal run: header + 1 bytes.
      const run = Math.min(header + 1, count - written, to - read);
      for (let i = 0; i < run; i++) {
        out[at] = data[read + i]!;
        at += stride;
      }
      read += header + 1;
      written += run;
    } else if (header > 128) {
      // Replicate run: the next byte 257 − header times.
      if (read >= to) break;
      const value = data[read++]!;
      const run = Math.min(257 - header, count - written);
      for (let i = 0; i < run; i++) {
        out[at] = value;
        at += stride;
      }
      written += run;
    }
    // 128 (−128): no operation.
  }
  return written;
}

/**
 * One RLE frame to raw containers: `samplesPerPixel` samples of `bitsAllocated` bits per pixel,
 * little-endian, interleaved. Throws RleError when the header names another segment count than
 * the image needs, or an offset outside the frame.
 */
export function decodeRleFrame(frame: Uint8Array, rows: number, columns: number, samplesPerPixel: number, bitsAllocated: number): Uint8Array {
  if (frame.length < 64) throw new RleError('The RLE frame is shorter than its 64-byte header.');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const bytesPerSample = Math.ceil(bitsAllocated / 8);
  const expected = samplesPerPixel * bytesPerSample;
  if (segments !== expected) throw new RleError(`The RLE header names ${segments} segments; this image needs ${expected}.`);
  if (segments > 15) throw new RleError('An RLE frame holds at most 15 segments.');
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(view.getUint32(4 + s * 4, true));
  const pixels = rows * columns;
  const stride = expected;
  const out = new Uint8Array(pixels * stride);
  for (let s = 0; s < segments; s++) {
    const from = offsets[s]!;
    const to = s + 1 < segments ? offsets[s + 1]! : frame.length;
    if (from < 64 || from > frame.length || to < from || to > frame.length) throw new RleError(`RLE segment ${s + 1} lies outside the frame.`);
    const sample = Math.floor(s / bytesPerSample);
    // Segments of a sample come most significant byte first; containers are little-endian.
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    unpackSegment(frame, from, to, out, sample * bytesPerSample + byteInSample, stride, pixels);
  }
  return out;
}

/** The other direction, for tests and fixtures: PackBits of one byte plane (runs of 3+ replicated). */
export function packSegment(plane: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < plane.length) {
    let run = 1;
    while (i + run < plane.length && run < 128 && plane[i + run] === plane[i]) run++;
    if (run >= 3) {
      out.push(257 - run, plane[i]!);
      i += run;
      continue;
    }
    const start = i;
    while (i < plane.length && i - start < 128) {
      if (i + 2 < plane.length && plane[i] === plane[i + 1] && plane[i] === plane[i + 2]) break;
      i++;
    }
    out.push(i - start - 1, ...plane.subarray(start, i));
  }
  if (out.length % 2 === 1) out.push(128);
  return Uint8Array.from(out);
}

/** Encodes raw little-endian interleaved containers as one RLE frame (tests and committed fixtures are made with it). */
export function encodeRleFrame(raw: Uint8Array, samplesPerPixel: number, bitsAllocated: number): Uint8Array {
  const bytesPerSample = Math.ceil(bitsAllocated / 8);
  const stride = samplesPerPixel * bytesPerSample;
  const pixels = raw.length / stride;
  const segments: Uint8Array[] = [];
  for (let s = 0; s < stride; s++) {
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    const plane = new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) plane[p] = raw[p * stride + sample * bytesPerSample + byteInSample]!;
    segments.push(packSegment(plane));
  }
  const total = 64 + segments.reduce((sum, segment) => sum + segment.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, stride, true);
  let offset = 64;
  segments.forEach((segment, s) => {
    view.setUint32(4 + s * 4, offset, true);
    out.set(segment, offset);
    offset += segment.length;
  });
  return out;
}
