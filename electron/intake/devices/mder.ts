/**
 * IEEE 11073-20601 Medical Device Encoding Rules (MDER, Annex F): big-endian integers, OCTET
 * STRING as a 16-bit length then the bytes, SEQUENCE OF as a 16-bit count, a 16-bit length and the
 * elements. Every read here is bounded by its container: a length or count that does not add up
 * is an MderError naming the field (never the value: it may be clinical), and nothing is ever
 * allocated from a length field (sub-readers are views on the received bytes).
 */

export class MderError extends Error {
  override readonly name = 'MderError';
  /** Where: the dotted path of the field that did not fit. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** A bounded big-endian reader over bytes[start, end). */
export class MderReader {
  private position: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly start = 0,
    private readonly end = bytes.length,
    private readonly path = '',
  ) {
    if (start < 0 || end > bytes.length || start > end) throw new RangeError('MderReader bounds are outside the bytes.');
    this.position = start;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.end - this.position;
  }

  /** Bytes read so far from this reader's start. */
  get consumed(): number {
    return this.position - this.start;
  }

  private need(count: number, field: string): void {
    if (count > this.end - this.position) {
      throw new MderError(this.path + field, `needs ${count} byte(s) but only ${this.end - this.position} remain in its container`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.position++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const value = (this.bytes[this.position]! << 8) | this.bytes[this.position + 1]!;
    this.position += 2;
    return value;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.bytes;
    const p = this.position;
    const value = ((b[p]! << 24) >>> 0) + (b[p + 1]! << 16) + (b[p + 2]! << 8) + b[p + 3]!;
    this.position += 4;
    return value;
  }

  /** `count` bytes, copied (so a decoded value never pins the receive buffer). */
  bytesOf(count: number, field: string): Uint8Array {
    this.need(count, field);
    const value = this.bytes.slice(this.position, this.position + count);
    this.position += count;
    return value;
  }

  /** An OCTET STRING: a 16-bit length, then that many bytes. */
  octetString(field: string): Uint8Array {
    const length = this.u16(`${field}.length`);
    return this.bytesOf(length, field);
  }

  /** A reader over the next `count` bytes (the container of a nested structure). */
  sub(count: number, field: string): MderReader {
    this.need(count, field);
    const reader = new MderReader(this.bytes, this.position, this.position + count, `${this.path}${field}.`);
    this.position += count;
    return reader;
  }

  /** An OCTET STRING as a reader over its bytes. */
  octetStringReader(field: string): MderReader {
    const length = this.u16(`${field}.length`);
    return this.sub(length, field);
  }

  /**
   * A SEQUENCE OF: reads count and length, then calls `element` `count` times inside a reader
   * bounded by length; the elements must fill the length exactly.
   */
  sequenceOf<T>(field: string, element: (reader: MderReader, index: number) => T): T[] {
    const count = this.u16(`${field}.count`);
    const length = this.u16(`${field}.length`);
    const inner = this.sub(length, field);
    const out: T[] = [];
    for (let index = 0; index < count; index++) out.push(element(inner, index));
    inner.expectEnd(`after ${count} element(s)`);
    return out;
  }

  /** Fails unless every byte of this container was read. */
  expectEnd(what = ''): void {
    if (this.remaining !== 0) throw new MderError(this.path.replace(/\.$/, '') || 'apdu', `${this.remaining} byte(s) left over${what ? ' ' + what : ''}`);
  }
}

/** A big-endian writer; lengths of nested structures are written after their content. */
export class MderWriter {
  private chunks: number[] = [];

  u8(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`u8 out of range: ${value}`);
    this.chunks.push(value);
    return this;
  }

  u16(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`u16 out of range: ${value}`);
    this.chunks.push(value >>> 8, value & 0xff);
    return this;
  }

  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`u32 out of range: ${value}`);
    this.chunks.push(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
    return this;
  }

  bytes(value: Uint8Array): this {
    for (const byte of value) this.chunks.push(byte);
    return this;
  }

  /** An OCTET STRING: 16-bit length, then the bytes. */
  octetString(value: Uint8Array): this {
    return this.u16(value.length).bytes(value);
  }

  /** A nested structure preceded by its 16-bit length. */
  withLength(write: (writer: MderWriter) => void): this {
    const inner = new MderWriter();
    write(inner);
    return this.octetString(inner.finish());
  }

  /** A SEQUENCE OF: count, length, elements. */
  sequenceOf<T>(items: readonly T[], write: (writer: MderWriter, item: T) => void): this {
    const inner = new MderWriter();
    for (const item of items) write(inner, item);
    const body = inner.finish();
    return this.u16(items.length).u16(body.length).bytes(body);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}
