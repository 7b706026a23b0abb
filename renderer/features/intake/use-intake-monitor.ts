import { useCallback, useEffect, useRef, useState } from 'react';
import type { IntakeMonitor } from '../../../shared/ipc/intake-contract';
import { useApi, useBodyEvent } from '../../app/api-context';

export type MonitorState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown; readonly last: IntakeMonitor | null }
  | { readonly phase: 'ready'; readonly monitor: IntakeMonitor };

/**
 * The body's intake monitor (counters, recent messages, throughput, connections): loaded once,
 * then again on every `intake.activity` (at most once a second while messages arrive) and
 * `journal.appended`. One request at a time: events during a load ask for one more afterwards.
 */
export function useIntakeMonitor(): MonitorState & { readonly reload: () => void } {
  const api = useApi();
  const [state, setState] = useState<MonitorState>({ phase: 'loading' });
  const inFlight = useRef(false);
  const again = useRef(false);
  const mounted = useRef(true);

  const load = useCallback(() => {
    const fetchOnce = (): void => {
      inFlight.current = true;
      api.intake.monitor({}).then(
        (monitor) => {
          if (mounted.current) setState({ phase: 'ready', monitor });
        },
        (error: unknown) => {
          if (mounted.current) setState((previous) => ({ phase: 'failed', error, last: previous.phase === 'ready' ? previous.monitor : previous.phase === 'failed' ? previous.last : null }));
        },
      ).finally(() => {
        inFlight.current = false;
        if (again.current && mounted.current) {
          again.current = false;
          fetchOnce();
        }
      });
    };
    if (inFlight.current) {
      again.current = true;
      return;
    }
    fetchOnce();
  }, [api]);

  useEffect(() => {
    mounted.current = true;
    load();
    return () => {
      mounted.current = false;
    };
  }, [load]);

  useBodyEvent('intake.activity', load);
  useBodyEvent('journal.appended', load);
  return { ...state, reload: load };
}
