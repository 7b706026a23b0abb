import { useEffect, useState } from 'react';
import { useApi, useBodyEvent } from '../../app/api-context';

/**
 * How far the network's log is witnessed, as the body last found (Settings › Network): every leaf
 * below this size was in a checkpoint that carried the map's quorum of witness cosignatures. 0 when
 * the node has no network, or nothing is witnessed yet. A ledger entry notarized at a leaf below it
 * is shown "witnessed".
 */
export function useWitnessedSize(): number {
  const api = useApi();
  const [size, setSize] = useState(0);
  useEffect(() => {
    let live = true;
    api.network.status({}).then(
      ({ state }) => {
        if (live) setSize(state?.sync?.witnessedSize ?? 0);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);
  useBodyEvent('network.changed', ({ state }) => setSize(state?.sync?.witnessedSize ?? 0));
  return size;
}
