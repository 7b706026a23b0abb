import { z } from 'zod';
import { ContractErrorSchema } from './errors';

/**
 * Frames of the browser shell's WebSocket: the same contract as Electron's IPC, as JSON.
 * The body validates every client frame with these schemas before looking at it.
 */
export const WS_PATH = '/ws';
export const WS_SUBPROTOCOL = 'hdms.v1';
export const MAX_WS_FRAME_BYTES = 1024 * 1024;

/**
 * objects.readBinary over plain HTTP (the shell only): a WebSocket message of a 512 KiB slice
 * costs Chromium several times the CPU of a fetch of it. A page asks its socket for the
 * connection's read ticket with the call OBJECT_TICKET_METHOD (answered by the shell, not the
 * body: `{ ticket }`), then GETs OBJECT_SLICE_PATH?id=…&offset=…&length=… with the ticket in
 * OBJECT_TICKET_HEADER; the answer is the bytes with the object's size in OBJECT_SIZE_HEADER, or
 * the contract's error as JSON.
 */
export const OBJECT_TICKET_METHOD = 'shell.objectTicket';
export const OBJECT_SLICE_PATH = '/objects/slice';
export const OBJECT_TICKET_HEADER = 'x-hdms-object-ticket';
export const OBJECT_SIZE_HEADER = 'x-hdms-object-size';

export const ClientFrameSchema = z.strictObject({
  type: z.literal('call'),
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  method: z.string().max(200),
  payload: z.unknown(),
});
export type ClientFrame = z.infer<typeof ClientFrameSchema>;

export const ServerFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('result'),
    id: z.number().int().nonnegative(),
    result: z.union([
      z.strictObject({ ok: z.literal(true), value: z.unknown() }),
      z.strictObject({ ok: z.literal(false), error: ContractErrorSchema }),
    ]),
  }),
  z.strictObject({ type: z.literal('event'), name: z.string(), payload: z.unknown() }),
  /** A frame the server could not read at all (no id to answer to). */
  z.strictObject({ type: z.literal('protocol-error'), error: ContractErrorSchema }),
]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;

/**
 * A result whose value carries bytes (objects.readBinary) travels as one binary frame instead of
 * JSON: [header length, 4 bytes big-endian][header, UTF-8 JSON][the bytes]. The header is the
 * result frame without the bytes, and names the value's field they go back into. Base64 inside
 * JSON cost the body an encoding, a UTF-8 length scan and a regex check, and the page a parse and
 * a decoding, of about 700 KB per 512×512 slice.
 */
export const MAX_BINARY_HEADER_BYTES = 16 * 1024;
/** The largest bytes a binary result carries: objects.readBinary's largest slice. */
export const MAX_BINARY_PAYLOAD_BYTES = 4 * 1024 * 1024;

export const BinaryResultHeaderSchema = z.strictObject({
  type: z.literal('result'),
  id: z.number().int().nonnegative(),
  /** The value's field that receives the bytes. */
  binary: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,31}$/),
  result: z.strictObject({ ok: z.literal(true), value: z.record(z.string(), z.unknown()) }),
});
export type BinaryResultHeader = z.infer<typeof BinaryResultHeaderSchema>;

/**
 * How the shell sends a result: JSON text, or a binary frame when the value is an object with
 * exactly one Uint8Array field. The two parts of a binary frame are returned apart so the caller
 * can send them without copying the bytes.
 */
export function encodeResultFrame(frame: Extract<ServerFrame, { type: 'result' }>): string | { readonly header: Uint8Array; readonly bytes: Uint8Array } {
  const { result } = frame;
  if (!result.ok || typeof result.value !== 'object' || result.value === null || Array.isArray(result.value)) return JSON.stringify(frame);
  const entries = Object.entries(result.value);
  const binary = entries.filter(([, value]) => value instanceof Uint8Array);
  if (binary.length !== 1) return JSON.stringify(frame);
  const [field, bytes] = binary[0] as [string, Uint8Array];
  const rest = Object.fromEntries(entries.filter(([key]) => key !== field));
  const json = new TextEncoder().encode(JSON.stringify({ type: 'result', id: frame.id, binary: field, result: { ok: true, value: rest } } satisfies BinaryResultHeader));
  if (json.byteLength > MAX_BINARY_HEADER_BYTES || bytes.byteLength > MAX_BINARY_PAYLOAD_BYTES) throw new RangeError('A binary result is larger than the shell protocol allows.');
  const header = new Uint8Array(4 + json.byteLength);
  new DataView(header.buffer).setUint32(0, json.byteLength);
  header.set(json, 4);
  return { header, bytes };
}

export type DecodedBinaryFrame =
  | { readonly ok: true; readonly id: number; readonly result: { readonly ok: true; readonly value: Record<string, unknown> } }
  /** `id` when the header could be read: that call is answered with the error, the others go on. */
  | { readonly ok: false; readonly id: number | null; readonly reason: string };

/**
 * Reads a binary result frame. Refuses (with a reason that quotes no data) a frame too short, a
 * header too long or not JSON or not the schema, or bytes over the largest slice; the bytes are a
 * view of the frame's buffer, not a copy.
 */
export function decodeBinaryFrame(data: ArrayBuffer): DecodedBinaryFrame {
  if (data.byteLength < 4) return { ok: false, id: null, reason: 'The frame is too short.' };
  const headerLength = new DataView(data).getUint32(0);
  if (headerLength > MAX_BINARY_HEADER_BYTES || 4 + headerLength > data.byteLength) return { ok: false, id: null, reason: 'The frame header has an impossible length.' };
  let header: BinaryResultHeader;
  try {
    header = BinaryResultHeaderSchema.parse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(data, 4, headerLength))));
  } catch {
    return { ok: false, id: null, reason: 'The frame header does not follow the shell protocol.' };
  }
  const bytes = new Uint8Array(data, 4 + headerLength);
  if (bytes.byteLength > MAX_BINARY_PAYLOAD_BYTES) return { ok: false, id: header.id, reason: 'The node sent more bytes than one answer may carry.' };
  if (Object.hasOwn(header.result.value, header.binary)) return { ok: false, id: header.id, reason: 'The frame header does not follow the shell protocol.' };
  return { ok: true, id: header.id, result: { ok: true, value: { ...header.result.value, [header.binary]: bytes } } };
}
