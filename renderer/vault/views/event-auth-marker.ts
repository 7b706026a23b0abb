import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import type { EventAuthMeta } from '../../../shared/journal/mind-meta';
import type { OpenSessionFeature, SessionFeature, SessionPort } from '../session/session-feature';
import { readEventAuthFrom } from './journal-replay';

/**
 * Closes the legacy window of mind events (mind-events.ts): after a session's replay, when the
 * views know of no genuine `vault.eventAuth` marker, it appends one (with its authenticator, as
 * every mind event). Unauthenticated mind records before it stay accepted; after it they are
 * rejected. So the first unlocked session after the upgrade writes it, and a new vault at its
 * first replay. Two windows may both write one: only the first genuine marker counts.
 *
 * Tried once per session: a refused append is not retried at every replay (the next unlock will).
 */
export class EventAuthMarker implements SessionFeature<never> {
  readonly name = 'event-auth-marker';
  readonly namespaces = [] as const;

  open(port: SessionPort<never>): OpenSessionFeature {
    let tried = false;
    return {
      afterReplay: async () => {
        if (tried || !port.isCurrent()) return;
        tried = true;
        try {
          if ((await readEventAuthFrom(port.db())) !== null) return;
          const meta: EventAuthMeta = { v: 1 };
          await port.appendEvent(MIND_KINDS.eventAuth, meta);
          await port.replayNow();
        } catch {
          // The legacy window stays open until a later session writes the marker.
        }
      },
      close: () => undefined,
    };
  }
}
