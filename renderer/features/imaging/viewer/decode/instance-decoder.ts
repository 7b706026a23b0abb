import type { DecodedFrame } from '../pixels/pixel-module';
import type { FrameCodecs } from './codecs';
import { openWithDataKey } from '../../../../../shared/crypto/envelope';
import type { InstanceOverview } from './decode-protocol';
import { decodeFrame, decodeFrameBytes } from './frame-decoder';
import { DicomImageError, frameGroupValues, parseInstance, type ParsedInstance } from './dicom-image';
import { openRangedInstance, type PlaintextRanges } from './ranged-instance';
import { encapsulatedDocument, reportLines } from './structured-report';
import { tagRows, type TagRow } from '../../../../../shared/dicom/tag-list';

/** A sealed instance and the data key of its envelope. */
export interface SealedInstance {
  readonly envelope: Uint8Array;
  readonly dataKey: CryptoKey;
}

/** An opened instance: parsed whole, or (too large to hold) its data set before the pixel data and a reader of its frames. */
interface Opened {
  readonly parsed: ParsedInstance;
  readonly frameBytes?: (frame: number) => Promise<Uint8Array>;
}

/**
 * The decode worker's state, apart from the worker plumbing (so it runs under Node in the tests):
 * opened instances by key, the most recent kept (their data sets hold the compressed frames).
 */
export class InstanceDecoder {
  private readonly opened = new Map<string, Opened>();

  constructor(
    private readonly codecs: FrameCodecs,
    private readonly keep = 24,
  ) {}

  /** Opens an instance from its bytes, or from its envelope and data key (decrypted here, in memory). */
  async open(key: string, source: Uint8Array | SealedInstance, decodeFirst: boolean): Promise<InstanceOverview> {
    const bytes = source instanceof Uint8Array ? source : (await openWithDataKey(source.dataKey, source.envelope)).plaintext;
    return this.overview(key, { parsed: await parseInstance(bytes) }, decodeFirst);
  }

  /**
   * Opens an instance read in ranges (ranged-instance.ts): one of more than a few MiB, whose first
   * frame then shows without the rest being read. One that cannot be read in parts (a deflated
   * data set; pixel data the ranged rules refuse) is read whole when its size is within
   * `readWholeUpTo`, as every instance under 64 MiB once was, so it still shows.
   */
  async openRanged(key: string, ranges: PlaintextRanges, decodeFirst: boolean, options: { readonly readWholeUpTo?: number } = {}): Promise<InstanceOverview> {
    const wholeAllowed = ranges.size <= (options.readWholeUpTo ?? 0);
    let opened: Opened;
    try {
      const ranged = await openRangedInstance(ranges);
      // Where the whole read is allowed, the first frame's bytes are read now: a refusal falls back below.
      let first = wholeAllowed && decodeFirst && ranged.parsed.image !== null ? await ranged.frameBytes(0) : null;
      const frameBytes = (frame: number): Promise<Uint8Array> => {
        if (frame !== 0 || first === null) return ranged.frameBytes(frame);
        const bytes = first;
        first = null;
        return Promise.resolve(bytes);
      };
      opened = { parsed: ranged.parsed, frameBytes };
    } catch (error) {
      if (!wholeAllowed || !(error instanceof DicomImageError)) throw error;
      return this.open(key, await ranges.read(0, ranges.size), decodeFirst);
    }
    return this.overview(key, opened, decodeFirst);
  }

  private async overview(key: string, opened: Opened, decodeFirst: boolean): Promise<InstanceOverview> {
    const { parsed } = opened;
    this.opened.delete(key);
    this.opened.set(key, opened);
    while (this.opened.size > this.keep) this.opened.delete(this.opened.keys().next().value!);
    const report = parsed.image === null ? reportLines(parsed.dataSet) : null;
    const document = parsed.image === null && report === null ? encapsulatedDocument(parsed.dataSet) : null;
    let first: DecodedFrame | null = null;
    let firstError: string | null = null;
    if (decodeFirst && parsed.image !== null) {
      try {
        first = await this.decode(opened, 0);
      } catch (error) {
        firstError = describe(error);
      }
    }
    return {
      sopClassUid: parsed.sopClassUid,
      transferSyntaxUid: parsed.transferSyntaxUid,
      kind: parsed.image !== null ? 'image' : report !== null ? 'report' : document !== null ? 'document' : 'other',
      image: parsed.image,
      report,
      document,
      first,
      firstError,
    };
  }

  async frame(key: string, frame: number): Promise<DecodedFrame> {
    return this.decode(this.require(key), frame);
  }

  private async decode({ parsed, frameBytes }: Opened, frame: number): Promise<DecodedFrame> {
    if (parsed.image === null) throw new Error('This instance has no image.');
    const decoded = frameBytes === undefined ? await decodeFrame(parsed.dataSet, parsed.image, frame, this.codecs) : await decodeFrameBytes(parsed.image, frame, await frameBytes(frame), this.codecs);
    // An enhanced image's Per-frame Functional Groups item for this frame (its rescale, window, spacing).
    const values = frameGroupValues(parsed.dataSet, parsed.image, frame);
    return values === undefined ? decoded : { ...decoded, values };
  }

  tags(key: string): TagRow[] {
    return tagRows(this.require(key).parsed.dataSet);
  }

  close(key: string): void {
    this.opened.delete(key);
  }

  /** Forgets every opened instance (the viewer was left). */
  reset(): void {
    this.opened.clear();
  }

  private require(key: string): Opened {
    const opened = this.opened.get(key);
    if (opened === undefined) throw new Error('The instance is no longer open in the decoder.');
    // Most recently used last.
    this.opened.delete(key);
    this.opened.set(key, opened);
    return opened;
  }
}

/** An error as one line for the viewer (codec errors are numbers or strings at times). */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'The frame could not be decoded.';
}
