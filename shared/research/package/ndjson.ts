/**
 * Text streams for the package: NDJSON (one JSON value per line, "\n") and CSV (RFC 4180), encoded
 * in UTF-8 batches of about 64 KiB, so 10,000+ patients never make one big string and the
 * container does not get one tiny piece per line.
 */

const BATCH_CHARS = 64 * 1024;

/** Encodes lines (each already ending in its line break) into UTF-8 batches. */
export async function* batchLines(lines: Iterable<string> | AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  let parts: string[] = [];
  let chars = 0;
  for await (const line of lines) {
    parts.push(line);
    chars += line.length;
    if (chars >= BATCH_CHARS) {
      yield encoder.encode(parts.join(''));
      parts = [];
      chars = 0;
    }
  }
  if (chars > 0) yield encoder.encode(parts.join(''));
}

/** NDJSON: JSON.stringify of each value, one per line. `onValue` counts them as they pass. */
export function ndjson(values: Iterable<unknown> | AsyncIterable<unknown>, onValue?: () => void): AsyncGenerator<Uint8Array> {
  async function* lines(): AsyncGenerator<string> {
    for await (const value of values) {
      onValue?.();
      yield `${JSON.stringify(value)}\n`;
    }
  }
  return batchLines(lines());
}

export type CsvValue = string | number | boolean | null | undefined;

/**
 * One CSV record, RFC 4180: fields separated by commas, the record ended by CRLF; a field holding a
 * comma, a double quote, CR or LF is enclosed in double quotes with its quotes doubled; a field
 * with leading or trailing spaces is quoted too, so no reader trims it. null/undefined → empty.
 */
export function csvRecord(fields: readonly CsvValue[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A CSV file: the header record, then one record per row. */
export function csv(header: readonly string[], rows: Iterable<readonly CsvValue[]> | AsyncIterable<readonly CsvValue[]>): AsyncGenerator<Uint8Array> {
  async function* lines(): AsyncGenerator<string> {
    yield csvRecord(header);
    for await (const row of rows) yield csvRecord(row);
  }
  return batchLines(lines());
}
