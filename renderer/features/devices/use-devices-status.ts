import { useCallback } from 'react';
import type { DevicesStatus } from '../../../shared/ipc/devices-contract';
import { useApi } from '../../app/api-context';
import { useBodyState, type BodyState } from '../../app/use-body-state';

export type DevicesStatusState = BodyState<DevicesStatus>;

/** Ports, connections and devices awaiting approval: loaded once, then kept current by `devices.changed`. */
export function useDevicesStatus(): { state: DevicesStatusState; set: (status: DevicesStatus) => void } {
  const api = useApi();
  const load = useCallback(() => api.devices.status({}), [api]);
  return useBodyState(load, 'devices.changed');
}
