import { z } from 'zod';

/**
 * A mind event's `actor` as the body recorded it (journal record field `actor`): who made the
 * event, the account id of the session that called `journal.append` (OperatorSessions.actorOf),
 * as JSON sealed to the vault's intake public key like a meta (a `journalMetadata` envelope), so
 * it is never in clear on disk. The record's own `operator` is what the client claimed; the mind
 * signs and shows the event under the pseudonym of this account instead (the body cannot check a
 * pseudonym: it is HMAC'd with the ledger key only the mind holds).
 */
export const RecordActorSchema = z.looseObject({
  v: z.literal(1),
  operatorId: z.string().min(1).max(256),
});
export type RecordActor = z.infer<typeof RecordActorSchema>;
