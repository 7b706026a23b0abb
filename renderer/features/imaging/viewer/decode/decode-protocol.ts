import type { DecodedFrame } from '../pixels/pixel-module';
import type { ImageInfo } from './dicom-image';
import type { ReportLine } from './structured-report';
import type { TagRow } from '../../../../../shared/dicom/tag-list';

/**
 * An instance for the worker: its Part 10 bytes, or its sealed envelope with the data key that
 * opens it (the worker decrypts), or, for one of more than a few MiB, the first bytes of its
 * envelope and its sealed size: the worker then asks the page for further sealed ranges
 * (ReadRequest) and decrypts only those (ranged-instance.ts). `readWholeUpTo`: the plaintext size
 * up to which the worker may read it whole when it cannot be read in parts (0: never).
 */
export type InstanceInput =
  | { readonly kind: 'open'; readonly bytes: ArrayBuffer }
  | { readonly kind: 'sealed'; readonly envelope: ArrayBuffer; readonly dataKey: CryptoKey }
  | { readonly kind: 'ranged'; readonly head: ArrayBuffer; readonly sealedSize: number; readonly dataKey: CryptoKey; readonly readWholeUpTo: number };

/** The worker asks the page for sealed bytes [offset, offset + length) of a ranged instance it opened. */
export interface ReadRequest {
  readonly kind: 'read';
  readonly readId: number;
  readonly key: string;
  readonly offset: number;
  readonly length: number;
}

/** The page's answer to a ReadRequest: the bytes, or why not. */
export type ReadReply = { readonly kind: 'read-reply'; readonly readId: number; readonly bytes: ArrayBuffer } | { readonly kind: 'read-reply'; readonly readId: number; readonly message: string };

/** What the decode worker is asked (each with an id its answer carries). `key` names an opened instance. */
export type DecodeRequest =
  | { readonly id: number; readonly type: 'open'; readonly key: string; readonly input: InstanceInput; readonly decodeFirst: boolean }
  | { readonly id: number; readonly type: 'frame'; readonly key: string; readonly frame: number }
  | { readonly id: number; readonly type: 'tags'; readonly key: string }
  | { readonly id: number; readonly type: 'close'; readonly key: string }
  | { readonly id: number; readonly type: 'reset' };

/** What an opened instance is, as the viewer shows it. */
export interface InstanceOverview {
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  /** An image (pixel data), a structured report, an encapsulated document, or none of these. */
  readonly kind: 'image' | 'report' | 'document' | 'other';
  readonly image: ImageInfo | null;
  readonly report: readonly ReportLine[] | null;
  readonly document: { readonly bytes: Uint8Array; readonly mimeType: string; readonly title: string } | null;
  /** Frame 0 when asked for and the instance is an image. */
  readonly first: DecodedFrame | null;
  /** Why frame 0 could not be decoded (an unsupported or broken encoding), when it could not. */
  readonly firstError: string | null;
}

export type DecodeAnswer =
  | { readonly id: number; readonly ok: true; readonly type: 'open'; readonly overview: InstanceOverview }
  | { readonly id: number; readonly ok: true; readonly type: 'frame'; readonly frame: DecodedFrame }
  | { readonly id: number; readonly ok: true; readonly type: 'tags'; readonly rows: readonly TagRow[] }
  | { readonly id: number; readonly ok: true; readonly type: 'close' }
  | { readonly id: number; readonly ok: true; readonly type: 'reset' }
  | { readonly id: number; readonly ok: false; readonly message: string };
