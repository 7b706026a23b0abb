import { events, type EventName, type EventPayloadOf } from '../../shared/ipc';

export type EventListener = (name: EventName, payload: unknown) => void;

/** Body → mind pushes. Payloads are checked against the contract before any binding sees them. */
export class BodyEvents {
  private readonly listeners = new Set<EventListener>();
  private closed = false;

  emit<E extends EventName>(name: E, payload: EventPayloadOf<E>): void {
    if (this.closed) return;
    const checked = events[name].payload.parse(payload);
    for (const listener of this.listeners) {
      try {
        listener(name, checked);
      } catch {
        // One broken window or socket must not stop the others from hearing the event.
      }
    }
  }

  /**
   * No event after this one: the body is stopping and has said so (`app.stopping`); what its
   * features do while they stop (ports closing, the relay's stream ending) is not news to a mind
   * that is being told the node is going away.
   */
  close(): void {
    this.closed = true;
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
