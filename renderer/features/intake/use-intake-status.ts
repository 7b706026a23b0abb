import { useCallback } from 'react';
import type { IntakeStatus } from '../../../shared/ipc/intake-contract';
import { useApi } from '../../app/api-context';
import { useBodyState, type BodyState } from '../../app/use-body-state';

export type IntakeStatusState = BodyState<IntakeStatus>;

/** The listeners' state: loaded once, then kept current by `intake.statusChanged`. */
export function useIntakeStatus(): IntakeStatusState {
  const api = useApi();
  const load = useCallback(() => api.intake.status({}), [api]);
  return useBodyState(load, 'intake.statusChanged').state;
}
