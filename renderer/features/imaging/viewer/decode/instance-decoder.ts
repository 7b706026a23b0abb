import type { DecodedFrame } from '../pixels/pixel-module';
import type { FrameCodecs } from './codecs';
import { openWithDataKey } from '../../../../../shared/crypto/envelope';
import type { InstanceOverview } from './decode-protocol';
import { decodeFrame } from './frame-decoder';
import { parseInstance, type ParsedInstance } from './dicom-image';
import { encapsulatedDocument, reportLines } from './structured-report';
import { tagRows, type TagRow } from './tag-list';

/** A sealed instance and the data key of its envelope. */
export interface SealedInstance {
  readonly envelope: Uint8Array;
  readonly dataKey: CryptoKey;
}

/**
 * The decode worker's state, apart from the worker plumbing (so it runs under Node in the tests):
 * opened instances by key, the most recent kept (their data sets hold the compressed frames).
 */
export class InstanceDecoder {
  private readonly opened = new Map<string, ParsedInstance>();

  constructor(
    private readonly codecs: FrameCodecs,
    private readonly keep = 24,
  ) {}

  /** Opens an instance from its bytes, or from its envelope and data key (decrypted here, in memory). */
  async open(key: string, source: Uint8Array | SealedInstance, decodeFirst: boolean): Promise<InstanceOverview> {
    const bytes = source instanceof Uint8Array ? source : (await openWithDataKey(source.dataKey, source.envelope)).plaintext;
    const parsed = await parseInstance(bytes);
    this.opened.delete(key);
    this.opened.set(key, parsed);
    while (this.opened.size > this.keep) this.opened.delete(this.opened.keys().next().value!);
    const report = parsed.image === null ? reportLines(parsed.dataSet) : null;
    const document = parsed.image === null && report === null ? encapsulatedDocument(parsed.dataSet) : null;
    let first: DecodedFrame | null = null;
    let firstError: string | null = null;
    if (decodeFirst && parsed.image !== null) {
      try {
        first = await decodeFrame(parsed.dataSet, parsed.image, 0, this.codecs);
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
    const parsed = this.require(key);
    if (parsed.image === null) throw new Error('This instance has no image.');
    return decodeFrame(parsed.dataSet, parsed.image, frame, this.codecs);
  }

  tags(key: string): TagRow[] {
    return tagRows(this.require(key).dataSet);
  }

  close(key: string): void {
    this.opened.delete(key);
  }

  /** Forgets every opened instance (the viewer was left). */
  reset(): void {
    this.opened.clear();
  }

  private require(key: string): ParsedInstance {
    const parsed = this.opened.get(key);
    if (parsed === undefined) throw new Error('The instance is no longer open in the decoder.');
    // Most recently used last.
    this.opened.delete(key);
    this.opened.set(key, parsed);
    return parsed;
  }
}

/** An error as one line for the viewer (codec errors are numbers or strings at times). */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'The frame could not be decoded.';
}
