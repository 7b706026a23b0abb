import { useCallback, useEffect, useRef, useState } from 'react';
import type { IntakeMonitor } from '../../../shared/ipc/intake-contract';
import { useApi, useBodyEvent } from '../../app/api-context';
import { INTAKE_REFRESH_MS, useThrottled } from './use-throttled';

export type MonitorState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown; readonly last: IntakeMonitor | null }
  | { readonly phase: 'ready'; readonly monitor: IntakeMonitor };

/**
 * The body's intake monitor (counters, recent messages, throughput, connections): loaded once,
 * then again on `hl7.activity` and `journal.appended`, at most once per INTAKE_REFRESH_MS
 * while messages arrive (the last event of a burst still reloads). One request at a time: events
 * during a load ask for one more afterwards. `reload` (after a user's action) loads at once.
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
      api.hl7.monitor({}).then(
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

  const loadSoon = useThrottled(load, INTAKE_REFRESH_MS);
  useBodyEvent('hl7.activity', loadSoon);
  useBodyEvent('journal.appended', loadSoon);
  return { ...state, reload: load };
}
