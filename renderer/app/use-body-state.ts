import { useCallback, useEffect, useRef, useState } from 'react';
import type { EventName, EventPayloadOf } from '../../shared/ipc/contract';
import { useBodyEvent } from './api-context';

export type BodyState<T> = { readonly phase: 'loading' } | { readonly phase: 'failed'; readonly error: unknown } | { readonly phase: 'ready'; readonly status: T };

/**
 * Something the body keeps (a listener's status, the device ports): loaded once with `load`, then
 * kept current by the event `name`, whose payload is the whole new state. An event that arrives
 * before the first answer is newer than that answer, so the answer is then dropped. `set` takes a
 * state a call answered (an action that returns the new state).
 */
export function useBodyState<E extends EventName>(load: () => Promise<EventPayloadOf<E>>, name: E): { state: BodyState<EventPayloadOf<E>>; set: (status: EventPayloadOf<E>) => void } {
  const [state, setState] = useState<BodyState<EventPayloadOf<E>>>({ phase: 'loading' });
  const heardEvent = useRef(false);
  const set = useCallback((status: EventPayloadOf<E>) => {
    heardEvent.current = true;
    setState({ phase: 'ready', status });
  }, []);
  useBodyEvent(name, set);

  useEffect(() => {
    let current = true;
    load().then(
      (status) => {
        if (current && !heardEvent.current) setState({ phase: 'ready', status });
      },
      (error: unknown) => {
        if (current && !heardEvent.current) setState({ phase: 'failed', error });
      },
    );
    return () => {
      current = false;
    };
  }, [load]);

  return { state, set };
}
