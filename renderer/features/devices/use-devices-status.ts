import { useCallback, useEffect, useRef, useState } from 'react';
import type { DevicesStatus } from '../../../shared/ipc/devices-contract';
import { useApi, useBodyEvent } from '../../app/api-context';

export type DevicesStatusState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | { readonly phase: 'ready'; readonly status: DevicesStatus };

/** Ports, connections and devices awaiting approval: loaded once, then kept current by `devices.changed`. */
export function useDevicesStatus(): { state: DevicesStatusState; set: (status: DevicesStatus) => void } {
  const api = useApi();
  const [state, setState] = useState<DevicesStatusState>({ phase: 'loading' });
  // An event that arrives before the first answer is newer than that answer; keep the event.
  const heardEvent = useRef(false);
  const set = useCallback((status: DevicesStatus) => {
    heardEvent.current = true;
    setState({ phase: 'ready', status });
  }, []);
  useBodyEvent('devices.changed', set);

  useEffect(() => {
    let current = true;
    api.devices.status({}).then(
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

  return { state, set };
}
