import { z } from 'zod';
import { AddressSchema } from '../ledger/ledger-schema';
import { MessageIdSchema } from '../network/relay';

/**
 * The sealed meta of a `relay.message` record (journal-kinds.ts): the envelope exactly as the relay
 * delivered it (still encrypted to the node's message key; shared/network/relay.ts checks it when
 * the mind opens it) and when the body received it. Loose here on purpose: the body journals what
 * arrived and the mind's opening is the strict check, so a malformed envelope is shown as such
 * rather than lost.
 */
export const RelayArrivalMetaSchema = z.strictObject({
  v: z.literal(1),
  envelope: z.looseObject({ id: z.string().max(64), from: z.string().max(64) }),
  receivedAt: z.number().int().min(0),
});
export type RelayArrivalMeta = z.infer<typeof RelayArrivalMetaSchema>;

/** The sealed meta of a `message.sent` mind event: what this node sent, to whom, under which id. */
export const RelaySentMetaSchema = z.strictObject({
  v: z.literal(1),
  id: MessageIdSchema,
  to: z.array(AddressSchema).min(1).max(10_000),
  /** The payload as sent (shared/network/relay-payload.ts). */
  payload: z.unknown(),
  sentAt: z.number().int().min(0),
});
export type RelaySentMeta = z.infer<typeof RelaySentMetaSchema>;
