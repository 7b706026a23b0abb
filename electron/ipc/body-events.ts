import { events, type EventName, type EventPayloadOf } from '../../shared/ipc';

export type EventListener = (name: EventName, payload: unknown) => void;

/** Body → mind pushes. Payloads are checked against the contract before any binding sees them. */
export class BodyEvents {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(name: E, payload: EventPayloadOf<E>): void {
    const checked = events[name].payload.parse(payload);
    for (const listener of this.listeners) {
      try {
        listener(name, checked);
      } catch {
        // One broken window or socket must not stop the others from hearing the event.
      }
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
