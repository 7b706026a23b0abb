import { z } from 'zod';
import { KeywordQueryPayloadSchema, QueryAnswerPayloadSchema, QueryDeclinedPayloadSchema } from '../research/query-answer';
import { KeyReleasePayloadSchema, KeyReleaseRefusedPayloadSchema, KeyShareRefusedPayloadSchema, KeyShareStoredPayloadSchema } from '../research/key-release';
import { DatasetDeliveredPayloadSchema, PurchaseAcceptedPayloadSchema, PurchaseDeclinedPayloadSchema, PurchaseRequestPayloadSchema } from '../research/purchase-request';

/**
 * What a relay message carries inside its encryption (shared/network/relay.ts seals the bytes):
 * UTF-8 JSON, one object with a `type`: a note between institutions, and the research search's
 * query, answer and decline (shared/research/query-answer.ts), and the purchase's request, acceptance
 * and decline and the dataset's delivery (shared/research/purchase-request.ts), and a key keeper's
 * answers (shared/research/key-release.ts). A type this node does not know is
 * kept in the journal and shown as "a message of a kind this version cannot show".
 */
export const MAX_NOTE_LENGTH = 10_000;

export const NotePayloadSchema = z.strictObject({
  type: z.literal('note'),
  subject: z.string().trim().min(1).max(200),
  text: z.string().max(MAX_NOTE_LENGTH),
});
export type NotePayload = z.infer<typeof NotePayloadSchema>;

export const RelayPayloadSchema = z.discriminatedUnion('type', [
  NotePayloadSchema,
  KeywordQueryPayloadSchema,
  QueryAnswerPayloadSchema,
  QueryDeclinedPayloadSchema,
  PurchaseRequestPayloadSchema,
  PurchaseAcceptedPayloadSchema,
  PurchaseDeclinedPayloadSchema,
  DatasetDeliveredPayloadSchema,
  // A key keeper's answers (shared/research/key-release.ts): to the clinic that deposited a share,
  // to the researcher who asked for its release.
  KeyShareStoredPayloadSchema,
  KeyShareRefusedPayloadSchema,
  KeyReleasePayloadSchema,
  KeyReleaseRefusedPayloadSchema,
]);
export type RelayPayload = z.infer<typeof RelayPayloadSchema>;

export function encodePayload(payload: RelayPayload): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(RelayPayloadSchema.parse(payload)));
}

/** The payload, or null when the bytes are not a payload this version knows. */
export function decodePayload(bytes: Uint8Array): RelayPayload | null {
  try {
    const parsed = RelayPayloadSchema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
