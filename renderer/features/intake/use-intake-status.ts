import { useEffect, useRef, useState } from 'react';
import type { IntakeStatus } from '../../../shared/ipc/intake-contract';
import { useApi, useBodyEvent } from '../../app/api-context';

export type IntakeStatusState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | { readonly phase: 'ready'; readonly status: IntakeStatus };

/** The listeners' state: loaded once, then kept current by `intake.statusChanged`. */
export function useIntakeStatus(): IntakeStatusState {
  const api = useApi();
  const [state, setState] = useState<IntakeStatusState>({ phase: 'loading' });
  // An event that arrives before the first answer is newer than that answer; keep the event.
  const heardEvent = useRef(false);

  useBodyEvent('intake.statusChanged', (status) => {
    heardEvent.current = true;
    setState({ phase: 'ready', status });
  });

  useEffect(() => {
    let current = true;
    api.intake.status({}).then(
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
  }, [api]);

  return state;
}
