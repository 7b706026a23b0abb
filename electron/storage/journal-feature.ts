import { bodyFeature } from '../features/body-feature';
import type { BodyServices } from '../features/body-services';
import { Refusal } from '../errors/refusal';
import { ERASURE_KIND } from '../vault/vault-feature';
import { AccessRefusal } from '../auth/operator-sessions';
import { ADMIN_MIND_EVENT_KINDS } from '../../shared/journal/journal-kinds';
import type { RecordActor } from '../../shared/journal/record-actor';

/** A journal call that refers to something this vault does not hold. */
export class JournalRefusal extends Refusal {}

/** `journal.*`: the mind's replay and its own events. */
export function journalFeature({ vault, sessions }: BodyServices) {
  return bodyFeature<'journal'>({
    name: 'journal',
    handlers: {
      'journal.read': async ({ after, limit, withoutMetaOf }) => {
        const open = await vault.require();
        const result = await open.storage.journal.read({ after, limit });
        const skipped = new Set(withoutMetaOf);
        const withMeta = (kind: string, meta: string | null): string | null => (skipped.has(kind) ? null : meta);
        return {
          records: result.records.map(({ seq, kind, at, operator, objects, meta, actor }) => ({ seq, kind, at, operator, objects: [...objects], meta: withMeta(kind, meta), ...(actor === undefined ? {} : { actor }) })),
          nextCursor: result.nextCursor,
          end: result.end,
        };
      },
      'journal.append': async ({ kind, operator, objects, meta }, context) => {
        // A workstation setting every operator lives with (the auto-lock) is the administrator's (tester's defect 1).
        if (ADMIN_MIND_EVENT_KINDS.has(kind) && sessions.get(context.connectionId)?.role !== 'admin') {
          throw new AccessRefusal('E_FORBIDDEN', 'Only an administrator changes this setting.');
        }
        const open = await vault.require();
        for (const id of objects) {
          if (!(await open.storage.objects.has(id))) throw new JournalRefusal('E_BAD_REQUEST', 'objects: a referenced object does not exist in this vault.');
        }
        // Who made the event is the calling session's account, sealed by the body (never in clear on
        // disk); the `operator` pseudonym is the client's claim, which the body cannot check. The
        // mind signs and shows the event under the actor's pseudonym (shared/journal/record-actor.ts).
        const actor: RecordActor = { v: 1, operatorId: sessions.actorOf(context) };
        const sealedActor = await open.sealer.seal('journalMetadata', new TextEncoder().encode(JSON.stringify(actor)));
        // The journal checks `meta` and `actor` are sealed journalMetadata envelopes (header and length) and the kind and operator shapes.
        const { seq } = await open.storage.journal.append({ kind, operator, objects, meta, actor: sealedActor });
        open.onDurable(seq);
        if (kind === ERASURE_KIND) sessions.get(context.connectionId)?.erasures.add(seq);
        return { seq };
      },
    },
  });
}

/** `objects.*`: slices of sealed objects, which only the mind can open. */
export function objectsFeature({ vault }: BodyServices) {
  return bodyFeature<'objects'>({
    name: 'objects',
    handlers: {
      'objects.read': async ({ id, offset, length }) => {
        const open = await vault.require();
        const { bytes, size } = await open.storage.objects.readSlice(id, offset, length);
        return { bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url'), size };
      },
      'objects.readBinary': async ({ id, offset, length }) => {
        const open = await vault.require();
        const { bytes, size } = await open.storage.objects.readSlice(id, offset, length);
        // A view into a larger buffer (an inline object inside its journal record) is copied:
        // Electron's structured clone would carry the whole underlying buffer to the page.
        const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
        return { bytes: own, size };
      },
    },
  });
}
