import { useEffect, useState } from 'react';
import type { NetworkState } from '../../../shared/ipc/network-contract';
import { useApi, useBodyEvent } from '../../app/api-context';
import type { NotaryProgress } from './entry-notary-state';

const NONE: NotaryProgress = { member: false, submittedSeq: 0, witnessedSize: 0 };

function progressOf(state: NetworkState | null | undefined): NotaryProgress {
  const sync = state?.sync;
  if (state === null || state === undefined || state.status !== 'approved' || sync === null || sync === undefined) return NONE;
  return { member: true, submittedSeq: Math.max(sync.submittedSeq ?? 0, sync.notarizedSeq), witnessedSize: sync.witnessedSize ?? 0 };
}

/** The node's notarization progress, as the body last reported it (and again at each network.changed). */
export function useNotaryProgress(): NotaryProgress {
  const api = useApi();
  const [progress, setProgress] = useState(NONE);
  useEffect(() => {
    let live = true;
    api.network.status({}).then(
      ({ state }) => {
        if (live) setProgress(progressOf(state));
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);
  useBodyEvent('network.changed', ({ state }) => setProgress(progressOf(state)));
  return progress;
}
