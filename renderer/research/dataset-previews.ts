import { concatBytes } from '../../shared/crypto/bytes';
import { canonicalJson } from '../../shared/research/deid/release-report';
import { MANIFEST_NAME, RELEASE_REPORT_NAME } from '../../shared/research/package/dataset-manifest';
import { DatasetThumbnails, dicomFileSeries, type DicomThumbnail, type ThumbnailDecoder } from './dataset-thumbnails';

/**
 * The dataset page's previews (issue 15 item 7): the first rows of each CSV and NDJSON file and the
 * thumbnails of its DICOM files, gathered as a purchased package streams (purchased-datasets.ts
 * reads it). Never the whole file: a preview keeps its first PREVIEW_BYTES.
 */

/** What the dataset page previews of each file: its first rows, never the whole file. */
const PREVIEW_ROWS = 10;
const PREVIEW_BYTES = 64 * 1024;

export interface FilePreview {
  readonly path: string;
  readonly bytes: number;
  readonly mediaType: string;
  /** CSV: header and first rows; NDJSON: a few fields of the first resources; other files: none. */
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** DICOM files (up to 24, a series' first instance first): its first image as the viewer presents it, at most 128 px, with its alt text. */
  readonly thumbnail?: DicomThumbnail & { readonly alt: string };
}

export function once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      yield bytes;
    },
  };
}

/** The first `max` bytes of a file; the rest is read (so authenticated) and dropped. */
async function headOf(data: AsyncIterable<Uint8Array>, max: number): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let length = 0;
  for await (const piece of data) {
    if (length >= max) continue;
    pieces.push(piece.subarray(0, max - length));
    length += Math.min(piece.length, max - length);
  }
  return concatBytes(...pieces);
}

export type FileContent = Pick<FilePreview, 'columns' | 'rows' | 'thumbnail'>;

/**
 * The dataset page's previews of a package's files, gathered as `read` streams them: the first rows
 * of each CSV and NDJSON file, and thumbnails of its DICOM files (up to 24, a series' first instance
 * first; made as they stream by `decoder`, a decode worker, which is ended after). The thumbnails
 * are PROVISIONAL like the files: they are returned only when `read` resolved (the package
 * checked); when it throws, nothing is.
 */
export async function gatherPreviews<T>(read: (onFile: (name: string, data: AsyncIterable<Uint8Array>) => Promise<void>) => Promise<T>, decoder: ThumbnailDecoder | null): Promise<{ read: T; previews: Map<string, FileContent> }> {
  const previews = new Map<string, FileContent>();
  const thumbnails = new DatasetThumbnails(decoder);
  const modalities = new Map<string, string>();
  try {
    const result = await read(async (name, data) => {
      if (name === MANIFEST_NAME || name === RELEASE_REPORT_NAME) return;
      if (await thumbnails.file(name, data)) {
        previews.set(name, { columns: [], rows: [] });
        return;
      }
      const head = name === IMAGING_STUDY_NDJSON ? await headAndSeriesModalities(data, PREVIEW_BYTES, modalities) : await headOf(data, PREVIEW_BYTES);
      previews.set(name, previewOf(name, head));
    });
    // The package checked: its thumbnails may be shown.
    for (const [path, image] of await thumbnails.finish()) previews.set(path, { ...(previews.get(path) ?? { columns: [], rows: [] }), thumbnail: { ...image, alt: thumbnailAlt(path, modalities) } });
    return { read: result, previews };
  } finally {
    thumbnails.close();
  }
}

const IMAGING_STUDY_NDJSON = 'fhir/ImagingStudy.ndjson';
/** At most this many series' modalities are kept from ImagingStudy (for the thumbnails' alt text). */
const MAX_SERIES_MODALITIES = 10_000;

/**
 * ImagingStudy's NDJSON read whole, line by line: its first bytes for the preview, and each
 * series' modality by (remapped) series UID into `modalities`, for the thumbnails' alt text.
 */
async function headAndSeriesModalities(data: AsyncIterable<Uint8Array>, max: number, modalities: Map<string, string>): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let length = 0;
  const decoder = new TextDecoder();
  let rest = '';
  const line = (text: string) => {
    if (text.trim() === '' || modalities.size >= MAX_SERIES_MODALITIES) return;
    try {
      const series = (JSON.parse(text) as { series?: unknown }).series;
      if (!Array.isArray(series)) return;
      for (const entry of series as { uid?: unknown; modality?: { code?: unknown } }[]) {
        if (typeof entry?.uid === 'string' && typeof entry.modality?.code === 'string') modalities.set(entry.uid, entry.modality.code);
      }
    } catch {
      // Not JSON: the preview says so.
    }
  };
  for await (const piece of data) {
    if (length < max) {
      pieces.push(piece.subarray(0, max - length));
      length += Math.min(piece.length, max - length);
    }
    const lines = (rest + decoder.decode(piece, { stream: true })).split('\n');
    rest = lines.pop()!;
    // A line longer than any resource this package writes is not kept whole.
    if (rest.length > 16 * 1024 * 1024) rest = '';
    lines.forEach(line);
  }
  line(rest + decoder.decode());
  return concatBytes(...pieces);
}

/** A thumbnail's alt text: the file, and its series' modality when ImagingStudy names it. */
function thumbnailAlt(path: string, modalities: ReadonlyMap<string, string>): string {
  const series = dicomFileSeries(path)?.series;
  const modality = series === undefined ? undefined : modalities.get(series);
  return `First image of ${path}${modality === undefined || modality === '' ? '' : ` (${modality})`}`;
}

/** A CSV line's fields (RFC 4180 quoting). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** A short text of a FHIR element for the preview table. */
function shown(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const record = value as Record<string, unknown>;
  if (typeof record['reference'] === 'string') return record['reference'];
  if (typeof record['text'] === 'string') return record['text'];
  if (Array.isArray(record['coding'])) return shown(record['coding'][0]);
  if (typeof record['display'] === 'string') return record['display'];
  if (typeof record['code'] === 'string') return record['code'];
  if (typeof record['value'] === 'number') return `${record['value']}${typeof record['unit'] === 'string' ? ` ${record['unit']}` : ''}`;
  return canonicalJson(value).slice(0, 80);
}

const NDJSON_COLUMNS = ['id', 'subject', 'code', 'value', 'when'] as const;

/** A file's preview from its first bytes: CSV rows as they are, NDJSON resources as a few fields. */
export function previewOf(name: string, head: Uint8Array): { columns: string[]; rows: string[][] } {
  const text = new TextDecoder().decode(head);
  // Whole lines only: the head may end inside one.
  const lines = text.split(/\r?\n/).slice(0, head.length >= PREVIEW_BYTES ? -1 : undefined).filter((line) => line.trim() !== '');
  if (name.endsWith('.csv')) {
    const [header, ...rows] = lines.slice(0, PREVIEW_ROWS + 1).map(csvFields);
    return { columns: header ?? [], rows };
  }
  if (name.endsWith('.ndjson')) {
    const rows = lines.slice(0, PREVIEW_ROWS).map((line) => {
      try {
        const resource = JSON.parse(line) as Record<string, unknown>;
        return [
          shown(resource['id']),
          shown(resource['subject'] ?? resource['patient']),
          shown(resource['code'] ?? resource['vaccineCode'] ?? resource['gender']),
          shown(resource['valueQuantity'] ?? resource['valueString'] ?? resource['valueCodeableConcept'] ?? resource['conclusion'] ?? resource['extension']),
          shown(resource['effectiveDateTime'] ?? resource['effectivePeriod'] ?? resource['onsetDateTime'] ?? resource['occurrenceDateTime'] ?? resource['started']),
        ];
      } catch {
        return ['(not JSON)', '', '', '', ''];
      }
    });
    return { columns: [...NDJSON_COLUMNS], rows };
  }
  return { columns: [], rows: [] };
}
