import { z } from 'zod';
import { ContractErrorSchema } from './errors';

/**
 * Frames of the browser shell's WebSocket: the same contract as Electron's IPC, as JSON.
 * The body validates every client frame with these schemas before looking at it.
 */
export const WS_PATH = '/ws';
export const WS_SUBPROTOCOL = 'hdms.v1';
export const MAX_WS_FRAME_BYTES = 1024 * 1024;

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
